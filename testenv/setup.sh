#!/usr/bin/env bash
# Installs what a make target needs, so that the README's commands are the whole set-up on a fresh Debian (or
# Ubuntu) machine: make demo, make test and the benchmarks call it first.
#
#   testenv/setup.sh demo    the demo clusters: a JDK, Maven, curl
#   testenv/setup.sh test    + tmux, sshd and ssh (the wizard over SSH), nfs-ganesha, rpcbind and nfs-common (the
#                            NFS checks against a real server), rsync, /usr/bin/time, Node.js and npm (make test
#                            also runs the benchmarks once at their smallest size)
#   testenv/setup.sh bench   what the benchmarks need: the demo's, plus tmux, rsync, /usr/bin/time, Node.js and npm
#
# As root it installs what is missing with apt-get. Otherwise it prints the one line to run as root and stops
# (exit 1), and so does make. Go 1.26 is not in Debian's packages: it says where to get it. Nothing is installed
# when nothing is missing, and nothing is ever removed.
set -euo pipefail
profile="${1:-test}"
case "$profile" in demo|test|bench) ;; *) echo "usage: $0 demo|test|bench" >&2; exit 2 ;; esac

need=()    # Debian packages to install
missing=() # what is missing, in words
# want COMMAND PACKAGE...: the packages, when COMMAND is neither on PATH nor in the system directories (sshd,
# rpcbind and ganesha.nfsd live in sbin, which a non-root PATH often lacks).
want() {
  local cmd=$1
  shift
  if command -v "$cmd" >/dev/null 2>&1; then return 0; fi
  local d
  for d in /usr/sbin /sbin; do [ -x "$d/$cmd" ] && [ "${ESM_SETUP_PATH_ONLY:-0}" != 1 ] && return 0; done
  missing+=("$cmd")
  need+=("$@")
}

want java openjdk-17-jdk-headless
want mvn maven
want curl curl
if [ "$profile" != demo ]; then
  want tmux tmux
  want rsync rsync
  [ -x /usr/bin/time ] || { missing+=(/usr/bin/time); need+=(time); }
  want npm nodejs npm
fi
if [ "$profile" = test ]; then
  want sshd openssh-server
  want ssh openssh-client
  want ganesha.nfsd nfs-ganesha nfs-ganesha-vfs
  want rpcbind rpcbind
  want showmount nfs-common
fi

go_ok=1
if ! command -v go >/dev/null 2>&1; then
  go_ok=0
else
  v=$(go env GOVERSION 2>/dev/null | sed -n 's/^go\([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
  read -r major minor <<<"${v:-0 0}"
  if [ "$major" -lt 1 ] || { [ "$major" -eq 1 ] && [ "$minor" -lt 26 ]; }; then go_ok=0; fi
fi

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "setup: missing: ${missing[*]}; this is not a Debian-like system: install them with its package manager, then run make again" >&2
    exit 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "setup: missing: ${missing[*]}. Run this once as root, then make again:" >&2
    echo "  apt-get update && apt-get install -y --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${need[*]} (missing: ${missing[*]})" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
fi
if [ "$go_ok" = 0 ]; then
  echo "setup: Go 1.26 or newer is needed (Debian's golang-go is older): install it from https://go.dev/dl and put its bin directory on PATH, then run make again" >&2
  exit 1
fi
