#!/usr/bin/env bash
# What each verification mode costs, next to the migration's own time, on the benchmark data set.
#
#   testenv/verifybench/run.sh [--size default|small|ci] [--runs 3]
#
# Starts its own source and target cluster (Elasticsearch 7.17, one node each, 1 GB heap, as make bench does) on
# VB_SOURCE_PORT/VB_TARGET_PORT (default 19950/19960; their transport ports are +100), files under VB_DIR
# (default testenv/.run/verifybench-<size>), fills the source with
# testenv/bench/gen (seed 1), then migrates the whole data set with `esmigrate run` once per verification mode
# (count, seqno, content) and run (--runs, default 3), modes interleaved: shared storage, Elasticsearch's
# default throttles, each run into a repository directory of its own (so that every snapshot is a full one) and
# onto a target without the indices. The phase times come from each run's JSON report. It prints a Markdown table
# of medians (and esmigrate's own CPU time, /usr/bin/time) and writes it, with every run's figures, to
# $VB_DIR/results.md. Figures only: it never fails on a
# time, only on errors (a run that does not verify every index). VB_KEEP=1 leaves the clusters running;
# VB_REUSE=1 then uses the data set they hold instead of generating it again.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

size=default runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    *) echo "usage: $0 [--size default|small|ci] [--runs N]" >&2; exit 2 ;;
  esac
done

export ESM_TESTENV_DIR="${VB_DIR:-$root/testenv/.run/verifybench-$size}"
export SOURCE_PORT="${VB_SOURCE_PORT:-19950}" TARGET_PORT="${VB_TARGET_PORT:-19960}"
export SEED=0 LEGACY=0 NEXT=0 OPENSEARCH=0 SOURCE_NODES=1 TARGET_NODES=1 ES_HEAP="${ES_HEAP:-1g}"
src="http://127.0.0.1:$SOURCE_PORT" dst="http://127.0.0.1:$TARGET_PORT"
log() { printf 'verifybench: %s\n' "$*" >&2; }

mkdir -p "$ESM_TESTENV_DIR"
testenv/cluster.sh start
[ "${VB_KEEP:-0}" = 1 ] || trap 'testenv/cluster.sh stop' EXIT
shared="$ESM_TESTENV_DIR/shares/shared-repo"
work="$ESM_TESTENV_DIR/work"
rm -rf "$work" && mkdir -p "$work"

if [ "${VB_REUSE:-0}" = 1 ] && [ -f "$ESM_TESTENV_DIR/summary.json" ]; then
  log "reusing the data set already in the source (VB_REUSE=1)"
  summary="$(cat "$ESM_TESTENV_DIR/summary.json")"
else
  log "filling the source with the $size data set (testenv/bench/gen, seed 1)"
  summary="$(go run ./testenv/bench/gen --url "$src" --size "$size" --seed 1 | tail -1)"
  echo "$summary" >"$ESM_TESTENV_DIR/summary.json"
fi
indices="$(python3 -c 'import json,sys; print(",".join(json.loads(sys.argv[1])["indices"]))' "$summary")"
go build -o "$work/esmigrate" .
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . ':!testenv/verifybench' || echo '+changes')"

for i in $(seq 1 "$runs"); do
  for mode in count seqno content; do
    name="vb-$mode-$i"
    dir="$work/$name"
    mkdir -p "$dir"
    "$work/esmigrate" plan --source "$src" --target "$dst" --source-location "$shared/$name" --shared \
      --indices "$indices" --repository "$name" --rename-pattern '(.+)' --rename-replacement "$name-\$1" \
      --state "$dir/state.json" --report-dir "$dir" >"$dir/plan.yaml"
    sed -i "s/^verify: .*/verify: $mode/" "$dir/plan.yaml"
    log "run $i, verify: $mode"
    # Wall time and esmigrate's own CPU time (user + system), from the kernel's accounting of the process.
    /usr/bin/time -f '%e %U %S' -o "$dir/time" "$work/esmigrate" run --plan "$dir/plan.yaml" --accept-warnings >"$dir/run.log" 2>&1 ||
      { tail -20 "$dir/run.log" >&2; log "run $name failed (see $dir/run.log)"; exit 1; }
    # Clean up for the next run: the target's copies, the snapshot and the repository on both sides.
    targets="$(echo "$indices" | sed "s/\([^,]*\)/$name-\1/g")"
    curl -sS -X DELETE "$dst/$targets" >/dev/null
    curl -sS -X DELETE "$dst/_snapshot/$name" >/dev/null
    for s in $(curl -sS "$src/_snapshot/$name/_all" | python3 -c 'import json,sys; print(" ".join(s["snapshot"] for s in json.load(sys.stdin)["snapshots"]))'); do
      curl -sS -X DELETE "$src/_snapshot/$name/$s" >/dev/null
    done
    curl -sS -X DELETE "$src/_snapshot/$name" >/dev/null
    rm -rf "${shared:?}/$name"
  done
done

python3 - "$work" "$runs" "$summary" "$commit" <<'PY' | tee "$ESM_TESTENV_DIR/results.md"
import glob, json, os, statistics, sys
work, runs, summary, commit = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
rows = {}
for mode in ("count", "seqno", "content"):
    for i in range(1, runs + 1):
        d = os.path.join(work, f"vb-{mode}-{i}")
        rep = json.load(open(sorted(glob.glob(os.path.join(d, "esmigrate-report-*.json")))[-1]))
        assert rep["verified"] == len(rep["indices"]), f"{d}: not every index verified"
        sec = rep["indices"][0]["seconds"]  # one batch: every row has the batch's phase times
        wall, user, system = map(float, open(os.path.join(d, "time")).read().split()[-3:])
        rows.setdefault(mode, []).append({"snapshot": sec.get("snapshot", 0), "restore": sec.get("restore", 0),
                                          "verify": sec.get("verify", 0), "wall": wall, "cpu": user + system})
docs = summary["docs"]
print(f"Data set: {docs:,} documents, {summary['store_bytes']/1e6:.1f} MB primary store, {len(summary['indices'])} indices; "
      f"esmigrate at commit {commit}; {runs} run(s) per mode, medians.\n")
print("| Verify mode | Snapshot s | Restore s | Verify s | Verify / restore | Documents read per s (both sides) | Whole run s | esmigrate CPU s |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for mode, rs in rows.items():
    med = {k: statistics.median(r[k] for r in rs) for k in rs[0]}
    per_s = f"{2*docs/med['verify']:,.0f}" if mode == "content" else "-"
    print(f"| {mode} | {med['snapshot']:.1f} | {med['restore']:.1f} | {med['verify']:.1f} | {med['verify']/med['restore']:.2f}x | {per_s} | {med['wall']:.1f} | {med['cpu']:.1f} |")
print("\nEvery run (snapshot / restore / verify / whole run / esmigrate CPU, seconds):\n")
for mode, rs in rows.items():
    print(f"- {mode}: " + "; ".join(f"{r['snapshot']:.1f} / {r['restore']:.1f} / {r['verify']:.1f} / {r['wall']:.1f} / {r['cpu']:.1f}" for r in rs))
PY
