#!/usr/bin/env bash
# Test environment: a real source and a real target Elasticsearch cluster on loopback, each started by a small
# Maven project under testenv/ (codelibs' elasticsearch-cluster-runner, or an equivalent launcher for versions it
# does not publish), each with path.repo pointing at local directories that stand in for the NFS shares.
#
#   testenv/cluster.sh start     build the runners if needed, start both clusters, wait for yellow/green, seed data
#   testenv/cluster.sh stop      stop both clusters (by PID)
#   testenv/cluster.sh status    show what runs
#   testenv/cluster.sh env       print the variables the tests and the wizard read (source it: eval "$(... env)")
#   testenv/cluster.sh seed      (re)load the sample indices into the source cluster
#
# Everything is configurable through variables, so two runs on one machine do not collide:
#   ESM_TESTENV_DIR   where data, logs and shares live            (default: testenv/.run)
#   SOURCE_PORT       HTTP port of the source cluster             (default: 19200; node N uses PORT+N-1)
#   TARGET_PORT       HTTP port of the target cluster             (default: 19210)
#   SOURCE_RUNNER     runner project for the source               (default: runner-es717)
#   TARGET_RUNNER     runner project for the target               (default: runner-es717; runner-es710 etc.)
#   SOURCE_NODES      nodes in the source cluster                 (default: 1)
#   TARGET_NODES      nodes in the target cluster                 (default: 1)
#   ES_HEAP           heap of each cluster's JVM                  (default: 512m)
#   START_TIMEOUT     seconds to wait for a cluster               (default: 240)
#   ES_EXTRA_YML      lines appended to every node's elasticsearch.yml (default: none), e.g. the benchmarks'
#                     http.client_stats.closed_channels.* so that _nodes/stats/http keeps every client
#   SEED              1 to seed sample data on start               (default: 1)
#   LEGACY            1 to start a third, older cluster "legacy"   (default: 0) with sample data, for
#                     cross-version tests (7.10 → 7.17 works, 7.17 → 7.10 is refused)
#   LEGACY_PORT       its HTTP port                               (default: TARGET_PORT+10)
#   LEGACY_RUNNER     its runner project                          (default: runner-es710)
#   LEGACY_NODES      its nodes (default: 2; node 2 lacks the legacy share in path.repo, on purpose, and does not
#                     see the half-mounted share: see below)
#   NEXT              1 to start "next", an Elasticsearch 8.x target  (default: 0; port TARGET_PORT+20, runner-es8)
#   OPENSEARCH        1 to start "opensearch", an OpenSearch 2.x target (default: 0; port TARGET_PORT+30, runner-os2)
#
#   testenv/cluster.sh restart NAME   stops and starts one cluster (source, target or legacy) with its data, for
#                                     fault tests; it reuses the settings it was started with
#
# The legacy cluster runs each node in a JVM of its own, and every node but the first in a mount namespace of its
# own (unshare --mount, as root) where $ESM_TESTENV_DIR/shares/half-mounted-repo is covered by an empty tmpfs:
# a share that is in every node's path.repo but mounted on legacy-1 only, as when one node missed the NFS mount.
# Verifying a repository there fails for real and names legacy-2. legacy-1 is the only master-eligible node.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
RUN_DIR="${ESM_TESTENV_DIR:-$here/.run}"
SOURCE_PORT="${SOURCE_PORT:-19200}"
TARGET_PORT="${TARGET_PORT:-19210}"
SOURCE_RUNNER="${SOURCE_RUNNER:-runner-es717}"
TARGET_RUNNER="${TARGET_RUNNER:-runner-es717}"
SOURCE_NODES="${SOURCE_NODES:-1}"
TARGET_NODES="${TARGET_NODES:-1}"
ES_HEAP="${ES_HEAP:-512m}"
START_TIMEOUT="${START_TIMEOUT:-240}"
SEED="${SEED:-1}"
LEGACY="${LEGACY:-0}"
LEGACY_PORT="${LEGACY_PORT:-$((TARGET_PORT + 10))}"
LEGACY_RUNNER="${LEGACY_RUNNER:-runner-es710}"
LEGACY_NODES="${LEGACY_NODES:-2}"
NEXT="${NEXT:-0}"
NEXT_PORT="${NEXT_PORT:-$((TARGET_PORT + 20))}"
OPENSEARCH="${OPENSEARCH:-0}"
OPENSEARCH_PORT="${OPENSEARCH_PORT:-$((TARGET_PORT + 30))}"

SHARES="$RUN_DIR/shares"
SOURCE_REPO_DIR="$SHARES/source-repo"   # the old cluster's NFS share
TARGET_REPO_DIR="$SHARES/target-repo"   # the new cluster's NFS share
SHARED_REPO_DIR="$SHARES/shared-repo"   # one share both clusters mount (the shared-storage case)
LEGACY_REPO_DIR="$SHARES/legacy-repo"   # the legacy cluster's share
HALF_REPO_DIR="$SHARES/half-mounted-repo" # in every legacy node's path.repo; not mounted on legacy-2 (above)
# The legacy cluster's layout; a data directory of another layout (node 2 master-eligible, one JVM) cannot
# elect a master in this one, so it is started afresh.
LEGACY_LAYOUT="one-jvm-per-node, legacy-1 the only master"

JVM_OPTS=(-Xms"$ES_HEAP" -Xmx"$ES_HEAP" -XX:+UseSerialGC -Xss1m -Djava.awt.headless=true -Dfile.encoding=UTF-8
  -Dlog4j2.formatMsgNoLookups=true)

log() { printf 'testenv: %s\n' "$*" >&2; }
die() { printf 'testenv: error: %s\n' "$*" >&2; exit 1; }

# build_runner DIR: package the runner jar and record its class path (once; Maven caches the artifacts).
build_runner() {
  local dir="$here/$1"
  [ -f "$dir/pom.xml" ] || die "no runner project $dir (SOURCE_RUNNER/TARGET_RUNNER name a folder of testenv/)"
  if [ ! -f "$dir/target/classpath.txt" ] || [ "$dir/pom.xml" -nt "$dir/target/classpath.txt" ] ||
     [ -n "$(find "$dir/src" -newer "$dir/target/classpath.txt" -type f 2>/dev/null | head -1)" ]; then
    log "building $1 (first time downloads Elasticsearch from Maven Central)"
    (cd "$dir" && mvn -q -B package -DskipTests && \
      mvn -q -B dependency:build-classpath -Dmdep.outputFile=target/classpath.txt && \
      touch target/classpath.txt) >"$RUN_DIR/build-$1.log" 2>&1 ||  # the plugin keeps an unchanged file's date
      { tail -40 "$RUN_DIR/build-$1.log" >&2; die "maven could not build $1 (see $RUN_DIR/build-$1.log)"; }
  fi
}

# path_repo_for NAME: the path.repo entries of a cluster.
path_repo_for() {
  case "$1" in
    source) printf '["%s", "%s"]' "$SOURCE_REPO_DIR" "$SHARED_REPO_DIR" ;;
    target) printf '["%s", "%s"]' "$TARGET_REPO_DIR" "$SHARED_REPO_DIR" ;;
    legacy) printf '["%s", "%s", "%s"]' "$LEGACY_REPO_DIR" "$SHARED_REPO_DIR" "$HALF_REPO_DIR" ;;
    next|opensearch) printf '["%s", "%s"]' "$TARGET_REPO_DIR" "$SHARED_REPO_DIR" ;;
  esac
}

start_cluster() { # name runner port nodes
  local name=$1 runner=$2 port=$3 nodes=$4 base="$RUN_DIR/$1"
  local pidfile="$RUN_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    log "$name already running (pid $(cat "$pidfile"))"; return 0
  fi
  if curl -s -m 2 "http://127.0.0.1:$port" >/dev/null 2>&1; then
    die "port $port is taken by something else; set ${name^^}_PORT to a free port"
  fi
  # each node also needs its own HTTP port and its transport port (HTTP port + 100)
  local p
  for p in $(seq "$port" $((port + nodes - 1))) $(seq $((port + 100)) $((port + 100 + nodes - 1))); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      die "port $p (HTTP ports $port.., transport ports $((port + 100)).. of $name) is taken; set ${name^^}_PORT to a free range"
    fi
  done
  build_runner "$runner"
  if [ "$name" = legacy ] && [ -d "$base" ] && [ "$(cat "$base/.layout" 2>/dev/null)" != "$LEGACY_LAYOUT" ]; then
    log "legacy: its data is of another layout: starting it afresh"
    rm -rf "$base"
    FRESH_LEGACY=1
  fi
  mkdir -p "$base"
  [ "$name" = legacy ] && echo "$LEGACY_LAYOUT" >"$base/.layout"
  local i
  for i in $(seq 1 "$nodes"); do
    mkdir -p "$base/node_$i/config"
    # path.repo goes where an operator puts it: the node's elasticsearch.yml.
    {
      echo "# written by testenv/cluster.sh"
      if [ "$name" = legacy ] && [ "$i" -gt 1 ]; then
        # A misconfigured node: its path.repo lacks the legacy share (as when elasticsearch.yml was edited on
        # one node but not the others). Pre-flight tests expect it to be named.
        echo "path.repo: [\"$SHARED_REPO_DIR\", \"$HALF_REPO_DIR\"]"
      else
        echo "path.repo: $(path_repo_for "$name")"
      fi
      # the target may pull from the source with _reindex (benchmarks compare it); runner-es8 has no reindex
      # module (Elastic does not publish it for 8.x) and refuses settings it does not know. The OpenSearch
      # target pulls from the source too (the reindex path: it cannot restore the source's 7.17 indices), under
      # OpenSearch 2's name for the setting; it does not list the legacy cluster, whose refusal a test needs.
      case "$name:$runner" in
        target:runner-es8*) ;;
        target:*) echo "reindex.remote.whitelist: [\"127.0.0.1:$SOURCE_PORT\"]" ;;
        opensearch:*) echo "reindex.remote.allowlist: [\"127.0.0.1:$SOURCE_PORT\"]" ;;
      esac
      echo "action.destructive_requires_name: true"
      [ -z "${ES_EXTRA_YML:-}" ] || printf '%s\n' "$ES_EXTRA_YML"
    } >"$base/node_$i/config/elasticsearch.yml"
  done
  local jar cp
  jar=$(ls "$here/$runner"/target/*.jar | head -1)
  cp="$jar:$(cat "$here/$runner/target/classpath.txt")"
  log "starting $name ($runner, $nodes node(s), heap $ES_HEAP) on 127.0.0.1:$port"
  # setsid: the cluster must outlive the shell that started it and be stoppable as a group.
  if [ "$name" = legacy ] && [ "$nodes" -gt 1 ]; then
    mkdir -p "$HALF_REPO_DIR"
    setsid nohup "$here/cluster.sh" _split "$name" "$base" "$port" "$nodes" "$cp" >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  else
    setsid nohup java "${JVM_OPTS[@]}" -cp "$cp" esmigrate.testenv.EsRunner "$name" "$base" "$port" "$nodes" \
      >"$RUN_DIR/$name.log" 2>&1 </dev/null &
  fi
  echo $! >"$pidfile"
  # What restart needs to start it again the same way.
  printf '%s %s %s %s\n' "$name" "$runner" "$port" "$nodes" >"$RUN_DIR/$name.args"
}

wait_cluster() { # name port
  local name=$1 port=$2 pidfile="$RUN_DIR/$1.pid" deadline=$((SECONDS + START_TIMEOUT)) status=""
  while [ $SECONDS -lt $deadline ]; do
    if ! kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null; then
      tail -60 "$RUN_DIR/$name.log" >&2 || true
      die "$name cluster exited during start-up (log: $RUN_DIR/$name.log)"
    fi
    status=$(curl -s -m 5 "http://127.0.0.1:$port/_cluster/health?wait_for_status=yellow&timeout=2s" 2>/dev/null |
      sed -n 's/.*"status":"\([a-z]*\)".*/\1/p' || true)  # curl fails until the port is open
    case "$status" in green|yellow) log "$name is $status on 127.0.0.1:$port"; return 0 ;; esac
    sleep 1
  done
  tail -60 "$RUN_DIR/$name.log" >&2 || true
  die "$name cluster did not become yellow or green within ${START_TIMEOUT}s (log: $RUN_DIR/$name.log)"
}

stop_cluster() { # name
  local pidfile="$RUN_DIR/$1.pid" pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

write_env() {
  cat >"$RUN_DIR/env" <<EOF
export ESM_TESTENV_DIR='$RUN_DIR'
export ESM_SOURCE_URL='http://127.0.0.1:$SOURCE_PORT'
export ESM_TARGET_URL='http://127.0.0.1:$TARGET_PORT'
export ESM_SOURCE_REPO_DIR='$SOURCE_REPO_DIR'
export ESM_TARGET_REPO_DIR='$TARGET_REPO_DIR'
export ESM_SHARED_REPO_DIR='$SHARED_REPO_DIR'
export ESM_SOURCE_RUNNER='$SOURCE_RUNNER'
export ESM_LEGACY_URL='$( [ "$LEGACY" = 1 ] && echo "http://127.0.0.1:$LEGACY_PORT" )'
export ESM_LEGACY_REPO_DIR='$LEGACY_REPO_DIR'
export ESM_HALF_MOUNTED_REPO_DIR='$HALF_REPO_DIR'
export ESM_NEXT_URL='$( [ "$NEXT" = 1 ] && echo "http://127.0.0.1:$NEXT_PORT" )'
export ESM_OPENSEARCH_URL='$( [ "$OPENSEARCH" = 1 ] && echo "http://127.0.0.1:$OPENSEARCH_PORT" )'
export ESM_TARGET_RUNNER='$TARGET_RUNNER'
EOF
}

seed_cluster() { # port
  log "seeding sample indices into the cluster on port $1"
  (cd "$root" && go run ./testenv/seed --url "http://127.0.0.1:$1") ||
    die "seeding the cluster on port $1 failed"
}

seed() { seed_cluster "$SOURCE_PORT"; }

cmd="${1:-}"
case "$cmd" in
  start)
    command -v java >/dev/null || die "java not found: install a JDK 17+ (Debian: apt-get install openjdk-17-jdk-headless)"
    command -v mvn >/dev/null || die "mvn not found: install Maven (Debian: apt-get install maven)"
    mkdir -p "$RUN_DIR" "$SOURCE_REPO_DIR" "$TARGET_REPO_DIR" "$SHARED_REPO_DIR" "$LEGACY_REPO_DIR" "$HALF_REPO_DIR"
    start_cluster source "$SOURCE_RUNNER" "$SOURCE_PORT" "$SOURCE_NODES"
    start_cluster target "$TARGET_RUNNER" "$TARGET_PORT" "$TARGET_NODES"
    [ "$LEGACY" = 1 ] && start_cluster legacy "$LEGACY_RUNNER" "$LEGACY_PORT" "$LEGACY_NODES"
    [ "$NEXT" = 1 ] && start_cluster next runner-es8 "$NEXT_PORT" 1
    [ "$OPENSEARCH" = 1 ] && start_cluster opensearch runner-os2 "$OPENSEARCH_PORT" 1
    wait_cluster source "$SOURCE_PORT"
    wait_cluster target "$TARGET_PORT"
    [ "$LEGACY" = 1 ] && wait_cluster legacy "$LEGACY_PORT"
    [ "$NEXT" = 1 ] && wait_cluster next "$NEXT_PORT"
    [ "$OPENSEARCH" = 1 ] && wait_cluster opensearch "$OPENSEARCH_PORT"
    write_env
    [ "$SEED" = 1 ] && seed
    [ "$SEED" = 1 ] && [ "$LEGACY" = 1 ] && seed_cluster "$LEGACY_PORT"
    log "ready: source http://127.0.0.1:$SOURCE_PORT, target http://127.0.0.1:$TARGET_PORT (variables: $RUN_DIR/env)"
    ;;
  restart)
    name="${2:-}"
    [ -f "$RUN_DIR/$name.args" ] || die "restart: no cluster named '$name' was started from $RUN_DIR"
    read -r _ runner port nodes <"$RUN_DIR/$name.args"
    # The target's reindex whitelist names the source's port: take it from the run, not from a default that a
    # caller without SOURCE_PORT in its environment would get.
    if [ -f "$RUN_DIR/source.args" ]; then read -r _ _ SOURCE_PORT _ <"$RUN_DIR/source.args"; fi
    stop_cluster "$name"
    start_cluster "$name" "$runner" "$port" "$nodes"
    wait_cluster "$name" "$port"
    if [ "${FRESH_LEGACY:-0}" = 1 ] && [ "$SEED" = 1 ]; then seed_cluster "$port"; fi
    ;;
  stop)
    stop_cluster source
    stop_cluster target
    stop_cluster legacy
    stop_cluster next
    stop_cluster opensearch
    ;;
  status)
    for n in source target legacy next opensearch; do
      if [ -f "$RUN_DIR/$n.pid" ] && kill -0 "$(cat "$RUN_DIR/$n.pid")" 2>/dev/null; then
        echo "$n: running (pid $(cat "$RUN_DIR/$n.pid"))"
      else
        echo "$n: stopped"
      fi
    done
    ;;
  env)
    [ -f "$RUN_DIR/env" ] || die "no environment yet: run testenv/cluster.sh start"
    cat "$RUN_DIR/env"
    ;;
  seed) seed ;;
  _split)
    # Internal (start_cluster): one JVM per node; node 1 as usual, the others each in a mount namespace of
    # their own where the half-mounted share is an empty tmpfs. When one JVM ends, the others are taken down,
    # so that the cluster is seen as gone (and stop, which signals this process group, ends them all).
    shift
    name=$1 base=$2 port=$3 nodes=$4 cp=$5
    java "${JVM_OPTS[@]}" -cp "$cp" esmigrate.testenv.EsRunner "$name" "$base" "$port" "$nodes" 1 &
    for i in $(seq 2 "$nodes"); do
      unshare --mount --propagation private -- bash -c 'mount -t tmpfs -o size=8m,mode=0755 esmigrate-not-mounted "$1" || exit 1; shift; exec "$@"' \
        _ "$HALF_REPO_DIR" java "${JVM_OPTS[@]}" -cp "$cp" esmigrate.testenv.EsRunner "$name" "$base" "$port" "$nodes" "$i" &
    done
    wait -n || true
    echo "testenv: a node of $name ended: stopping the others" >&2
    kill 0
    ;;
  clean)
    stop_cluster source; stop_cluster target; stop_cluster legacy; stop_cluster next; stop_cluster opensearch
    rm -rf "$RUN_DIR"
    ;;
  *)
    sed -n '2,38p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
