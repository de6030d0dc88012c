#!/usr/bin/env bash
# Ensures a Docker engine answers on /var/run/docker.sock, and that mmdebstrap (used to build the
# kernel runtime image without a registry) is installed. Idempotent: does nothing when an engine
# already answers. Needs root to install or start anything.
#
#   bash scripts/docker-engine.sh            # engine + mmdebstrap
#   DOCKER_ENGINE_TIMEOUT=120 bash scripts/docker-engine.sh
#
# The engine runs without a bridge network: every kernel runs with network mode `none`.
set -euo pipefail

SOCK=/var/run/docker.sock
LOG=${DOCKERD_LOG:-/var/log/holdout-dockerd.log}
TIMEOUT=${DOCKER_ENGINE_TIMEOUT:-90}
LOCK=/tmp/holdout-docker-engine.v2.lock

log() { printf '[docker-engine] %s\n' "$*" >&2; }

engine_up() {
  [ -S "$SOCK" ] && docker info >/dev/null 2>&1
}

apt_updated=0
apt_install() {
  # apt-get update only when the package is not installable from the current lists
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "need root to install: ${missing[*]}"
    exit 1
  fi
  if [ $apt_updated = 0 ] && ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    log "apt-get update"
    apt-get update -qq
    apt_updated=1
  fi
  log "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Fast path: nothing to do.
if engine_up && command -v mmdebstrap >/dev/null 2>&1; then
  log "engine already running"
  exit 0
fi

# Serialise concurrent callers (several engineers / test runs may call this at once).
exec 9>"$LOCK"
flock -w 600 9 || { log "timed out waiting for $LOCK"; exit 1; }

apt_install mmdebstrap
# docker.io brings dockerd, containerd and runc; a docker CLI may already be elsewhere on PATH.
if ! command -v dockerd >/dev/null 2>&1; then
  apt_install docker.io
fi
command -v docker >/dev/null 2>&1 || apt_install docker.io

if engine_up; then
  log "engine already running"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "no engine on $SOCK and not root: cannot start dockerd"
  exit 1
fi

if pgrep -x dockerd >/dev/null 2>&1; then
  log "dockerd is running but not answering yet; waiting"
else
  log "starting dockerd (logs: $LOG)"
  # setsid: the engine must outlive the shell (and test runner) that started it
  # 9>&-: the engine must not inherit (and so hold forever) the lock.
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false \
    --host="unix://$SOCK" >>"$LOG" 2>&1 </dev/null 9>&- &
fi

deadline=$((SECONDS + TIMEOUT))
until engine_up; do
  if [ $SECONDS -ge $deadline ]; then
    log "dockerd did not answer within ${TIMEOUT}s; last lines of $LOG:"
    tail -n 20 "$LOG" >&2 || true
    exit 1
  fi
  sleep 0.5
done
log "engine ready: $(docker version --format '{{.Server.Version}} (API {{.Server.APIVersion}})')"
