#!/usr/bin/env bash
# The README's test command (`npm test`): installs and starts what the tests need, builds, and
# runs every test — unit, integration (real PostgreSQL, Redis, Docker engine) and end-to-end
# (supertest against the running apps, Playwright in Debian's Chromium).
#
#   npm test                 everything
#   npm test -- unit|int|e2e one suite (services are still started when the suite needs them)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"
suite="${1:-all}"

# Tests get their own state dir and ports so they never touch a running demo platform.
export HOLDOUT_HOME="$ROOT/.data/test"
export HOLDOUT_PG_PORT="${HOLDOUT_TEST_PG_PORT:-54339}"
export HOLDOUT_REDIS_PORT="${HOLDOUT_TEST_REDIS_PORT:-63809}"
export HOLDOUT_PG_FSYNC=off # test data is disposable; fsync only slows the suite
export HOLDOUT_DATA_DIR="$HOLDOUT_HOME/data"
mkdir -p "$HOLDOUT_DATA_DIR"

# Starter kernels run with Debian's python3 and these packages (the competition tests run them).
ensure_apt python3-numpy python3-pil python3-skimage
ensure_node_deps
build_all

if [ "$suite" != unit ]; then
  step "starting services"
  services=(postgres redis docker)
  [ "$suite" = int ] || services+=(chromium)
  service_env="$(bash scripts/services.sh up "${services[@]}")" # fails the script if a service fails
  eval "$service_env"
  trap 'bash scripts/services.sh down' EXIT
  if [ -x docker/kernel-runtime/build.sh ]; then
    step "building the kernel runtime image (cached by content digest)"
    HOLDOUT_KERNEL_IMAGE="$(bash docker/kernel-runtime/build.sh slim | tail -n1)"
    export HOLDOUT_KERNEL_IMAGE
  fi
fi

step "running tests: $suite"
node scripts/run-tests.mjs "$suite"
