#!/usr/bin/env bash
# The README's start command (`npm start`): installs what is missing, starts PostgreSQL, Redis and
# the Docker engine (or uses DATABASE_URL / REDIS_URL / a running engine), migrates, builds the two
# demo competitions, seeds a demo course, starts every app, prints the URLs, and on Ctrl-C stops
# everything it started. The apps run under scripts/supervise.mjs, which restarts one that crashes.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

export HOLDOUT_HOME="${HOLDOUT_HOME:-$ROOT/.data}"
export HOLDOUT_DATA_DIR="${HOLDOUT_DATA_DIR:-$HOLDOUT_HOME/data}"
export PORT="${PORT:-4000}"
WEB_PORT="${WEB_PORT:-3000}"
export HOLDOUT_API_URL="${HOLDOUT_API_URL:-http://127.0.0.1:$PORT}"
export HOLDOUT_WEB_URL="${HOLDOUT_WEB_URL:-http://localhost:$WEB_PORT}"
# Browser changes (login, submit) are accepted only from these origins (the API's CSRF defence).
export HOLDOUT_PUBLIC_ORIGINS="${HOLDOUT_PUBLIC_ORIGINS:-http://localhost:$WEB_PORT,http://127.0.0.1:$WEB_PORT}"
mkdir -p "$HOLDOUT_DATA_DIR"

ensure_apt python3-numpy python3-pil python3-skimage
ensure_node_deps
build_all

step "starting services"
services=(postgres redis)
[ "${HOLDOUT_KERNELS:-on}" = off ] || services+=(docker)
service_env="$(bash scripts/services.sh up "${services[@]}")" # fails the script if a service fails
eval "$service_env"

supervisor=""
stop_all() {
  trap - EXIT INT TERM
  step "stopping"
  if [ -n "$supervisor" ]; then kill -TERM "$supervisor" 2>/dev/null || true; wait "$supervisor" 2>/dev/null || true; fi
  bash scripts/services.sh down
}
trap stop_all EXIT INT TERM

if [ -x docker/kernel-runtime/build.sh ] && [ "${HOLDOUT_KERNELS:-on}" != off ]; then
  step "building the kernel runtime image (cached by content digest)"
  HOLDOUT_KERNEL_IMAGE="$(bash docker/kernel-runtime/build.sh "${HOLDOUT_KERNEL_VARIANT:-full}" | tail -n1)"
  export HOLDOUT_KERNEL_IMAGE
fi

step "migrating the database"
node apps/api/dist/migrate.js

step "building the demo competitions and seeding the demo course"
node apps/api/dist/seed.js

step "starting the apps"
# Each app is restarted with backoff when it exits (the reason is logged); one crash never stops
# the others. Ctrl-C stops the apps, then the services. Production: docs/production.md.
apps='[{"name":"api","cmd":["node","apps/api/dist/main.js"]},{"name":"worker","cmd":["node","apps/worker/dist/main.js"]}'
if [ -f apps/web/package.json ] && grep -q '"start"' apps/web/package.json; then
  apps+=',{"name":"web","cmd":["node","server.mjs"],"cwd":"apps/web","env":{"PORT":"'"$WEB_PORT"'"}}'
fi
apps+=']'
node scripts/supervise.mjs "$apps" &
supervisor=$!

cat <<MSG

  Holdout is up.
    web:      $HOLDOUT_WEB_URL
    API:      $HOLDOUT_API_URL/api   (OpenAPI: $HOLDOUT_API_URL/api/docs)
  The demo accounts are printed above. Press Ctrl-C to stop everything.

MSG
# The supervisor runs until Ctrl-C (or SIGTERM); then the trap stops it and the services.
wait "$supervisor" || true
