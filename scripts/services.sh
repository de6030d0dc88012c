#!/usr/bin/env bash
# Starts the services Holdout needs where none is configured, and stops what it started.
#
#   scripts/services.sh up [postgres] [redis] [docker] [chromium]   (default: postgres redis)
#   scripts/services.sh down
#   scripts/services.sh env          prints the export lines for the running services
#
# DATABASE_URL / REDIS_URL, when set, are used as they are and nothing is started for them.
# Otherwise a private PostgreSQL cluster and a private redis-server run under $HOLDOUT_HOME
# (default: <repo>/.data) on loopback ports, installed from Debian's packages when missing
# and we are root. Everything started is recorded in $HOLDOUT_HOME/run so `down` stops exactly it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HOLDOUT_HOME="${HOLDOUT_HOME:-$ROOT/.data}"
mkdir -p "$HOLDOUT_HOME" && HOLDOUT_HOME="$(cd "$HOLDOUT_HOME" && pwd)" # servers chdir; paths must be absolute
RUN="$HOLDOUT_HOME/run"
PG_PORT="${HOLDOUT_PG_PORT:-54329}"
REDIS_PORT="${HOLDOUT_REDIS_PORT:-63799}"
mkdir -p "$RUN"

log() { printf '\033[2m[services]\033[0m %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "missing $*, and apt-get is not available: install $* yourself"
  [ "$(id -u)" = 0 ] || die "missing $*: run as root or install them (apt-get install $*)"
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
    APT_UPDATED=1
  fi
  log "installing $* from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$@" >/dev/null
}

wait_for() { # wait_for <seconds> <description> <command...>
  local secs=$1 what=$2; shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not become ready within ${secs}s"
}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  if [ -z "$d" ] || [ ! -x "$d/postgres" ]; then
    apt_install postgresql >/dev/null
    # Debian starts its own cluster on install; we use a private one, so stop theirs.
    command -v pg_ctlcluster >/dev/null && { pg_lsclusters -h 2>/dev/null | while read -r v c _; do pg_ctlcluster "$v" "$c" stop 2>/dev/null || true; done; }
    d=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  fi
  echo "$d"
}

as_pg() { # PostgreSQL refuses to run as root: use the postgres system user then.
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_up() {
  if [ -n "${DATABASE_URL:-}" ]; then log "PostgreSQL: using DATABASE_URL"; return; fi
  local bin data="$HOLDOUT_HOME/postgres"
  bin=$(pg_bin)
  if ! [ -f "$data/PG_VERSION" ]; then
    log "PostgreSQL: initialising a private cluster in $data"
    mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres: "$data"
    chmod 700 "$data"
    as_pg "$bin/initdb" -D "$data" -U holdout --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    log "PostgreSQL: already running on 127.0.0.1:$PG_PORT"
  else
    log "PostgreSQL: starting on 127.0.0.1:$PG_PORT"
    as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=${HOLDOUT_PG_FSYNC:-on}" start >/dev/null \
      || die "PostgreSQL did not start; see $data/server.log"
    echo "$bin" > "$RUN/postgres"
  fi
  wait_for 30 PostgreSQL "$bin/pg_isready" -h 127.0.0.1 -p "$PG_PORT"
  "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U holdout -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='holdout'" | grep -q 1 \
    || "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U holdout holdout
}

redis_up() {
  if [ -n "${REDIS_URL:-}" ]; then log "Redis: using REDIS_URL"; return; fi
  command -v redis-server >/dev/null || apt_install redis-server
  # Debian's package starts a system redis on 6379 when systemd is present; ours is private.
  if redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    log "Redis: already running on 127.0.0.1:$REDIS_PORT"; return
  fi
  local dir="$HOLDOUT_HOME/redis"
  mkdir -p "$dir"
  log "Redis: starting on 127.0.0.1:$REDIS_PORT"
  # noeviction: BullMQ must never lose keys to memory pressure. AOF so a restart keeps queues.
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$dir" --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --appendonly yes --save '' \
    --maxmemory-policy noeviction >/dev/null
  wait_for 30 Redis redis-cli -p "$REDIS_PORT" ping
  echo started > "$RUN/redis"
}

docker_up() { bash "$ROOT/scripts/docker-engine.sh"; }

chromium_up() {
  command -v chromium >/dev/null || apt_install chromium fonts-dejavu-core
  log "Chromium: $(chromium --version 2>/dev/null | head -n1)"
}

print_env() {
  [ -n "${DATABASE_URL:-}" ] && echo "export DATABASE_URL='$DATABASE_URL'" \
    || echo "export DATABASE_URL='postgres://holdout@127.0.0.1:$PG_PORT/holdout'"
  [ -n "${REDIS_URL:-}" ] && echo "export REDIS_URL='$REDIS_URL'" \
    || echo "export REDIS_URL='redis://127.0.0.1:$REDIS_PORT'"
}

down() {
  if [ -f "$RUN/postgres" ]; then
    log "PostgreSQL: stopping"
    as_pg "$(cat "$RUN/postgres")/pg_ctl" -D "$HOLDOUT_HOME/postgres" -m fast -w stop >/dev/null 2>&1 || true
    rm -f "$RUN/postgres"
  fi
  if [ -f "$RUN/redis" ]; then
    log "Redis: stopping"
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    rm -f "$RUN/redis"
  fi
}

cmd="${1:-up}"; shift || true
case "$cmd" in
  up)
    [ $# -gt 0 ] || set -- postgres redis
    for s in "$@"; do
      case "$s" in
        postgres) postgres_up ;; redis) redis_up ;; docker) docker_up ;; chromium) chromium_up ;;
        *) die "unknown service '$s' (postgres, redis, docker, chromium)" ;;
      esac
    done
    print_env ;;
  down) down ;;
  env) print_env ;;
  *) die "usage: services.sh up [postgres redis docker chromium] | down | env" ;;
esac
