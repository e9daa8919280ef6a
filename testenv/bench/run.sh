#!/usr/bin/env bash
# The benchmarks (make bench, make bench-small, make bench-large): start a fresh source and target cluster of our
# own, fill the source with the benchmark data set (testenv/bench/gen, fixed seed), then run testenv/bench/harness:
#   - the rows of testenv/bench/harness/rows_*.go: esmigrate (separate shares; shared storage), the bare
#     procedure each is compared with, _reindex from remote and elasticdump, at the defaults and tuned, each row
#     3 times in alternating order, every contender talking to the clusters directly;
#   - esmigrate's repository copy against cp -a and rsync -a; progress polling on 500 shards;
#   - the wizard's index table benchmarks (package ui) and its start-up and memory; the index picker on a real
#     source of 5,000 indices only when asked for (--sections table: make bench-picker, with ES_HEAP=3g).
# Then stop the clusters and, for the published sizes, write README.md's tables from the results file.
# Figures only: nothing fails on a time, only on errors. testenv/bench/README.md says more.
#
#   testenv/bench/run.sh            ~1M documents, ~0.9 GB primary store  → results/latest.{md,json}, README.md
#   testenv/bench/run.sh --small    50,000 documents                      → results/latest-small.{md,json}, README.md
#   testenv/bench/run.sh --large    ~10M documents, ~9 GB (tuned rows)    → results/latest-large.{md,json}, README.md
#   testenv/bench/run.sh --ci       10,000 documents, 1 run per row, 100 shards for polling (make test) → run directory only
#   testenv/bench/run.sh [--small] --only bare,esmigrate-separate
#                                   further flags go to the harness (go run ./testenv/bench/harness -h); a run of
#                                   some rows only writes to the run directory, never to results/
#
# Variables: BENCH_DIR (default testenv/bench/.run/<size>), BENCH_SOURCE_PORT/BENCH_TARGET_PORT (19900/19910;
# they also take the transport ports +100), ES_HEAP (1g; 512m for --ci), BENCH_SEED (1), BENCH_RUNS (3; 1 for
# --ci), BENCH_DOCS (documents instead of the size's; the results then stay in the run directory),
# BENCH_KEEP=1 leaves the clusters running. Needs: java + mvn (the clusters), go, curl, /usr/bin/time (Debian:
# apt-get install time), rsync, tmux, node + npm (elasticdump is installed with npm into testenv/bench/.cache the
# first time); testenv/setup.sh bench installs them.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

size=default
case "${1:-}" in
  --small) size=small; shift ;;
  --large) size=large; shift ;;
  --ci) size=ci; shift ;;
  ""|-*) ;;
  *) echo "usage: $0 [--small|--large|--ci] [harness flags, e.g. --only bare,reindex]" >&2; exit 2 ;;
esac
ELASTICDUMP_VERSION=6.125.1

export ESM_TESTENV_DIR="${BENCH_DIR:-$here/.run/$size}"
export SOURCE_PORT="${BENCH_SOURCE_PORT:-19900}"
export TARGET_PORT="${BENCH_TARGET_PORT:-19910}"
export SEED=0 LEGACY=0 NEXT=0 OPENSEARCH=0 SOURCE_NODES=1 TARGET_NODES=1
# Request counts come from the clusters' own per-client HTTP statistics, which forget a closed connection after
# 5 minutes or past 10,000 of them by default: keep them for a day and a million connections.
export ES_EXTRA_YML="http.client_stats.closed_channels.max_age: 24h
http.client_stats.closed_channels.max_count: 1000000"
if [ "$size" = ci ]; then export ES_HEAP="${ES_HEAP:-512m}"; else export ES_HEAP="${ES_HEAP:-1g}"; fi
seed="${BENCH_SEED:-1}"
runs="${BENCH_RUNS:-3}"
[ "$size" = ci ] && runs="${BENCH_RUNS:-1}"

log() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: error: %s\n' "$*" >&2; exit 1; }

for tool in java mvn go curl; do
  command -v "$tool" >/dev/null || die "$tool is needed (see README: Needs)"
done
# The published sizes insist on every tool; --ci (run by make test to keep this code from rotting) measures
# what it can and says what it could not: CPU and memory then come from the kernel's rusage of the child
# (the numbers /usr/bin/time prints), and rows without their tool read "not measured".
missing() {
  if [ "$size" = ci ]; then log "warning: $1"; else die "$1"; fi
}
[ -x /usr/bin/time ] || missing "/usr/bin/time is needed for CPU time and peak memory (Debian: apt-get install time)"
command -v rsync >/dev/null || missing "rsync is needed for the copy comparison (Debian: apt-get install rsync)"
command -v tmux >/dev/null || missing "tmux is needed for the wizard's start-up (Debian: apt-get install tmux)"

# elasticdump, from the npm registry, pinned, cached between runs.
elasticdump="$here/.cache/npm/node_modules/.bin/elasticdump"
if [ ! -x "$elasticdump" ] || ! grep -q "\"version\": \"$ELASTICDUMP_VERSION\"" "$here/.cache/npm/node_modules/elasticdump/package.json" 2>/dev/null; then
  if command -v npm >/dev/null; then
    log "installing elasticdump $ELASTICDUMP_VERSION with npm into $here/.cache/npm"
    mkdir -p "$here/.cache/npm"
    npm install --silent --no-audit --no-fund --prefix "$here/.cache/npm" "elasticdump@$ELASTICDUMP_VERSION" >&2 ||
      missing "npm could not install elasticdump@$ELASTICDUMP_VERSION"
  else
    missing "npm is needed to install elasticdump (Debian: apt-get install nodejs npm)"
  fi
  [ -x "$elasticdump" ] || elasticdump=""
fi

cleanup() {
  status=$?
  if [ "${BENCH_KEEP:-0}" != 1 ]; then testenv/cluster.sh stop || true; fi
  exit $status
}
trap cleanup EXIT INT TERM

start=$SECONDS
if [ "$size" = large ]; then
  df -h "$root" >&2
  # The source's 9 GB, and per run a snapshot, its copy and the restored indices: about 40 GB at the peak.
  avail=$(df -Pk "$root" | awk 'NR==2 {print $4}')
  [ "$avail" -ge $((45 * 1024 * 1024)) ] || [ -n "${BENCH_DOCS:-}" ] ||
    die "the large benchmark needs about 45 GB free on $(df -P "$root" | awk 'NR==2 {print $6}'), there are $((avail / 1024 / 1024)) GB"
fi
log "fresh clusters in $ESM_TESTENV_DIR (source :$SOURCE_PORT, target :$TARGET_PORT, heap $ES_HEAP)"
testenv/cluster.sh clean >/dev/null 2>&1 || true
mkdir -p "$ESM_TESTENV_DIR"
testenv/cluster.sh start
shares="$ESM_TESTENV_DIR/shares"
work="$ESM_TESTENV_DIR/work"
mkdir -p "$work"

log "building esmigrate and the live row's writer"
go build -o "$ESM_TESTENV_DIR/esmigrate" .
go build -o "$ESM_TESTENV_DIR/writer" ./testenv/writer

log "generating the $size data set (seed $seed${BENCH_DOCS:+, $BENCH_DOCS documents})"
go run ./testenv/bench/gen --url "http://127.0.0.1:$SOURCE_PORT" --size "$size" --seed "$seed" ${BENCH_DOCS:+--docs "$BENCH_DOCS"} >"$work/gen.json"

args=(--size "$size" --runs "$runs" --source "http://127.0.0.1:$SOURCE_PORT" --target "http://127.0.0.1:$TARGET_PORT"
  --shares "$shares" --run-dir "$ESM_TESTENV_DIR" --work "$work" --esmigrate "$ESM_TESTENV_DIR/esmigrate"
  --elasticdump "$elasticdump" --writer "$ESM_TESTENV_DIR/writer" --gen "$work/gen.json")
publish=0
case "$size" in
  default|small) publish=1 ;;
  large) publish=1 ;; # the harness runs the migrations only at this size
  ci) args+=(--poll-indices 20 --poll-rounds 3) ;;
esac
[ -n "${BENCH_DOCS:-}" ] && publish=0
[ "$publish" = 1 ] && args+=(--out "$here/results")
go run ./testenv/bench/harness "${args[@]}" "$@"
if [ "$publish" = 1 ]; then
  # A run of some rows or sections only writes no results file; the README is rewritten from what is there.
  go run ./testenv/bench/harness --readme
  log "README.md's benchmark tables rewritten from $here/results (commit both)"
fi
log "done in $((SECONDS - start)) s; scripts, logs and plans of every run: $work"
