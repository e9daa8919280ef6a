#!/usr/bin/env bash
# The test command (make test, .ci/run): starts real clusters (and the NFS server), runs every test against
# them, and stops everything it started, whatever happens. It fails, never skips, when something does not come up.
#
# Its clusters live apart from `make demo`'s (own directory, own ports), so both can run at once.
#   ESM_TESTENV_DIR  (default testenv/.run/test)   SOURCE_PORT/TARGET_PORT (default 19220/19230)
#   GO_TEST_FLAGS    extra flags for go test (e.g. -run TestX)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

export ESM_TESTENV_DIR="${ESM_TESTENV_DIR:-$here/.run/test}"
export SOURCE_PORT="${SOURCE_PORT:-19220}"
export LEGACY="${LEGACY:-1}" NEXT="${NEXT:-1}" OPENSEARCH="${OPENSEARCH:-1}"
export TARGET_PORT="${TARGET_PORT:-19230}"
mkdir -p "$ESM_TESTENV_DIR"

cleanup() {
  status=$?
  [ -n "${nfs_started:-}" ] && testenv/nfs.sh stop || true
  testenv/cluster.sh stop || true
  exit $status
}
trap cleanup EXIT INT TERM

echo "== unit tests"
go vet ./...
go test -count=1 ./...

echo "== starting the test clusters in $ESM_TESTENV_DIR"
testenv/cluster.sh clean >/dev/null 2>&1 || true
mkdir -p "$ESM_TESTENV_DIR"
testenv/cluster.sh start
# shellcheck disable=SC1091
source "$ESM_TESTENV_DIR/env"

echo "== starting the NFS server (nfs-ganesha on loopback)"
nfs_started=1
testenv/nfs.sh start
# shellcheck disable=SC1091
source "$ESM_TESTENV_DIR/nfs/env"

echo "== integration tests against the real clusters"
# -p 1: the packages share the two clusters; one package at a time keeps their indices and repositories apart.
go test -tags integration -count=1 -p 1 -timeout 70m ${GO_TEST_FLAGS:-} ./...
testenv/bench/run.sh --ci  # the benchmarks once at their smallest size, one run per row (~3.5 min): fails on errors, never on times
