#!/usr/bin/env bash
# Test environment: a real NFS server in user space on loopback, for the nfs package's integration tests.
#
# This machine kind has no kernel NFS server (no nfsd in /proc/filesystems), so we run Debian's nfs-ganesha with its
# VFS backend, which serves a plain directory over NFSv3/v4 without kernel help. rpcbind must run first: ganesha
# registers its programs there and exits ("Cannot register NFS V3 on TCP") when it cannot.
#
#   testenv/nfs.sh start    start rpcbind and ganesha (as root), export temporary directories, write the env file
#   testenv/nfs.sh stop     stop both, by the PIDs recorded at start
#   testenv/nfs.sh status   show what runs
#   testenv/nfs.sh env      print the variables the tests read (source it: eval "$(testenv/nfs.sh env)")
#
# Installs nothing: when a program is missing it prints the apt-get line to run.
# Variables (defaults in brackets):
#   ESM_NFS_RUN_DIR   where exports, config, logs and PID files live   [$ESM_TESTENV_DIR/nfs or testenv/.run/nfs]
#   NFS_BIND          address ganesha listens on                       [127.0.0.1]
#   NFS_PORT          NFS port                                          [2049]
#   MNT_PORT          mountd port                                       [20048]
#   ALLOWED_CLIENT    the client the "open" exports allow               [127.0.0.1]
#   DENIED_CLIENT     the only client the "denied" export allows (a documentation address: no traffic goes there)
#                                                                       [192.0.2.1]
# rpcbind always listens on 111 (the portmapper's fixed port); a machine that already runs rpcbind keeps its own.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${ESM_NFS_RUN_DIR:-${ESM_TESTENV_DIR:-$here/.run}/nfs}"
NFS_BIND="${NFS_BIND:-127.0.0.1}"
NFS_PORT="${NFS_PORT:-2049}"
MNT_PORT="${MNT_PORT:-20048}"
ALLOWED_CLIENT="${ALLOWED_CLIENT:-127.0.0.1}"
DENIED_CLIENT="${DENIED_CLIENT:-192.0.2.1}"
START_TIMEOUT="${START_TIMEOUT:-30}"

EXPORT_DIR="$RUN_DIR/export"            # rw, no_root_squash, allowed for ALLOWED_CLIENT
SQUASH_DIR="$RUN_DIR/export-squash"     # rw, all_squash to uid/gid 1000
DENIED_DIR="$RUN_DIR/export-denied"     # exported only to DENIED_CLIENT
RO_DIR="$RUN_DIR/export-ro"             # read-only for ALLOWED_CLIENT
CONF="$RUN_DIR/ganesha.conf"
LOG="$RUN_DIR/ganesha.log"
GANESHA_PID="$RUN_DIR/ganesha.pid"
RPCBIND_PID="$RUN_DIR/rpcbind.pid"      # only when this script started rpcbind
ENV_FILE="$RUN_DIR/env"
INSTALL_HINT="apt-get update && apt-get install -y nfs-ganesha nfs-ganesha-vfs rpcbind nfs-common"

log() { printf 'testenv/nfs: %s\n' "$*" >&2; }
die() { printf 'testenv/nfs: error: %s\n' "$*" >&2; exit 1; }

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# port_open PORT: something accepts TCP connections on NFS_BIND:PORT (bash's /dev/tcp: no extra tool needed).
port_open() { (exec 3<>"/dev/tcp/$NFS_BIND/$1") 2>/dev/null; }

write_conf() {
  local vfs_dir
  # ganesha finds its FSAL plugins here on Debian; the default path is compiled in, but say it so a failure is clear.
  vfs_dir=$(dirname "$(dpkg -L nfs-ganesha-vfs 2>/dev/null | grep -m1 'libfsalvfs.so' || echo /usr/lib/x86_64-linux-gnu/ganesha/libfsalvfs.so)")
  cat >"$CONF" <<EOF
# written by testenv/nfs.sh
NFS_CORE_PARAM {
  Protocols = 3, 4;
  Bind_addr = $NFS_BIND;
  NFS_Port = $NFS_PORT;
  MNT_Port = $MNT_PORT;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
  Plugins_Dir = "$vfs_dir";
}
NFSV4 {
  Graceless = true;
  RecoveryRoot = "$RUN_DIR/recovery";
}
EXPORT {
  Export_Id = 1;
  Path = "$EXPORT_DIR";
  Pseudo = "$EXPORT_DIR";
  Access_Type = None;
  Squash = No_Root_Squash;
  Protocols = 3, 4;
  SecType = sys;
  CLIENT { Clients = $ALLOWED_CLIENT; Access_Type = RW; }
  FSAL { Name = VFS; }
}
EXPORT {
  Export_Id = 2;
  Path = "$SQUASH_DIR";
  Pseudo = "$SQUASH_DIR";
  Access_Type = None;
  Squash = All_Squash;
  Anonymous_Uid = 1000;
  Anonymous_Gid = 1000;
  Protocols = 3, 4;
  SecType = sys;
  CLIENT { Clients = $ALLOWED_CLIENT; Access_Type = RW; }
  FSAL { Name = VFS; }
}
EXPORT {
  Export_Id = 3;
  Path = "$DENIED_DIR";
  Pseudo = "$DENIED_DIR";
  Access_Type = None;
  Squash = Root_Squash;
  Protocols = 3, 4;
  SecType = sys;
  CLIENT { Clients = $DENIED_CLIENT; Access_Type = RW; }
  FSAL { Name = VFS; }
}
EXPORT {
  Export_Id = 4;
  Path = "$RO_DIR";
  Pseudo = "$RO_DIR";
  Access_Type = None;
  Squash = No_Root_Squash;
  Protocols = 3, 4;
  SecType = sys;
  CLIENT { Clients = $ALLOWED_CLIENT; Access_Type = RO; }
  FSAL { Name = VFS; }
}
LOG {
  Default_Log_Level = EVENT;
}
EOF
}

write_env() {
  cat >"$ENV_FILE" <<EOF
export ESM_NFS_HOST='$NFS_BIND'
export ESM_NFS_EXPORT='$EXPORT_DIR'
export ESM_NFS_EXPORT_SQUASH='$SQUASH_DIR'
export ESM_NFS_EXPORT_DENIED='$DENIED_DIR'
export ESM_NFS_EXPORT_RO='$RO_DIR'
export ESM_NFS_PORT='$NFS_PORT'
export ESM_NFS_MNT_PORT='$MNT_PORT'
export ESM_NFS_RUN_DIR='$RUN_DIR'
EOF
}

start() {
  [ "$(id -u)" = 0 ] || die "run as root: ganesha and rpcbind bind privileged ports"
  local missing=""
  command -v rpcbind >/dev/null || [ -x /usr/sbin/rpcbind ] || missing="$missing rpcbind"
  command -v ganesha.nfsd >/dev/null || missing="$missing nfs-ganesha"
  dpkg -L nfs-ganesha-vfs >/dev/null 2>&1 || missing="$missing nfs-ganesha-vfs"
  [ -z "$missing" ] || die "missing:$missing; install with: $INSTALL_HINT"

  mkdir -p "$RUN_DIR" "$EXPORT_DIR" "$SQUASH_DIR" "$DENIED_DIR" "$RO_DIR" "$RUN_DIR/recovery"
  chmod 0777 "$EXPORT_DIR" "$SQUASH_DIR" "$RO_DIR"

  # rpcbind: reuse one that already answers on 111 (it is a machine-wide service); else start ours, in the
  # foreground (-f) so the PID we record is the daemon's, with warm start (-w) off harmlessly when no state exists.
  if port_open 111; then
    alive "$RPCBIND_PID" && log "rpcbind already running (pid $(cat "$RPCBIND_PID"))" || log "using the rpcbind already on port 111"
  else
    local rpcbind_bin
    rpcbind_bin=$(command -v rpcbind || echo /usr/sbin/rpcbind)
    setsid nohup "$rpcbind_bin" -f -w >"$RUN_DIR/rpcbind.log" 2>&1 </dev/null &
    echo $! >"$RPCBIND_PID"
    for _ in $(seq 1 50); do port_open 111 && break; sleep 0.1; done
    port_open 111 || die "rpcbind did not start (log: $RUN_DIR/rpcbind.log)"
    log "rpcbind started (pid $(cat "$RPCBIND_PID"))"
  fi

  if alive "$GANESHA_PID"; then
    log "ganesha already running (pid $(cat "$GANESHA_PID"))"
  else
    port_open "$NFS_PORT" && die "port $NFS_PORT on $NFS_BIND is taken by something else; set NFS_PORT"
    write_conf
    : >"$LOG"
    # -F: foreground, so $! is ganesha itself and stop can kill it by PID.
    setsid nohup ganesha.nfsd -F -f "$CONF" -L "$LOG" -p "$GANESHA_PID.daemon" \
      >"$RUN_DIR/ganesha.out" 2>&1 </dev/null &
    echo $! >"$GANESHA_PID"
    local deadline=$((SECONDS + START_TIMEOUT))
    while [ $SECONDS -lt $deadline ]; do
      alive "$GANESHA_PID" || { tail -30 "$LOG" >&2; die "ganesha exited during start-up (log: $LOG)"; }
      port_open "$NFS_PORT" && port_open "$MNT_PORT" && break
      sleep 0.1
    done
    port_open "$NFS_PORT" || { tail -30 "$LOG" >&2; die "ganesha does not listen on $NFS_BIND:$NFS_PORT after ${START_TIMEOUT}s (log: $LOG)"; }
    log "ganesha started (pid $(cat "$GANESHA_PID")) exporting $EXPORT_DIR, $SQUASH_DIR, $DENIED_DIR, $RO_DIR on $NFS_BIND"
  fi
  write_env
  log "ready (variables: $ENV_FILE)"
}

stop_pid() { # name pidfile
  local pid
  [ -f "$2" ] || return 0
  pid=$(cat "$2")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $1 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$2"
}

case "${1:-}" in
  start) start ;;
  stop)
    stop_pid ganesha "$GANESHA_PID"
    rm -f "$GANESHA_PID.daemon"
    stop_pid rpcbind "$RPCBIND_PID"
    rm -f "$ENV_FILE" # a stale env file would send the tests to a server that is gone
    ;;
  status)
    alive "$GANESHA_PID" && echo "ganesha: running (pid $(cat "$GANESHA_PID"))" || echo "ganesha: stopped"
    alive "$RPCBIND_PID" && echo "rpcbind: running (pid $(cat "$RPCBIND_PID"))" ||
      { port_open 111 && echo "rpcbind: not ours, but something answers on 111" || echo "rpcbind: stopped"; }
    ;;
  env)
    [ -f "$ENV_FILE" ] || die "no environment yet: run testenv/nfs.sh start"
    cat "$ENV_FILE"
    ;;
  *)
    sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
