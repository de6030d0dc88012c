#!/usr/bin/env bash
# `npm run bench`: every benchmark, one after another, each printing JSON lines on stdout
# (progress goes to stderr). Needs what the tests need, so it starts the same services.
#
#   npm run bench                       all of them
#   npm run bench -- metrics sandbox    some of them: metrics competitions api sandbox kernels web inference reliability artifacts
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

export HOLDOUT_HOME="$ROOT/.data/bench"
export HOLDOUT_PG_PORT="${HOLDOUT_BENCH_PG_PORT:-54349}"
export HOLDOUT_REDIS_PORT="${HOLDOUT_BENCH_REDIS_PORT:-63819}"
export HOLDOUT_DATA_DIR="$HOLDOUT_HOME/data"
mkdir -p "$HOLDOUT_DATA_DIR"

all=(metrics competitions api sandbox kernels web inference reliability artifacts)
[ $# -gt 0 ] && selected=("$@") || selected=("${all[@]}")

ensure_node_deps >&2
build_all >&2
step "starting services" 
service_env="$(bash scripts/services.sh up postgres redis docker)" # fails the script if a service fails
eval "$service_env"
trap 'bash scripts/services.sh down' EXIT
HOLDOUT_KERNEL_IMAGE="$(bash docker/kernel-runtime/build.sh slim | tail -n1)"
export HOLDOUT_KERNEL_IMAGE

for name in "${selected[@]}"; do
  step "bench: $name"
  case "$name" in
    metrics) node bench/metrics/run.mjs ;;
    competitions) node bench/competitions/build.mjs --scale demo ;;
    api) node bench/api/leaderboard.mjs && node bench/api/upload-latency.mjs && node bench/api/throughput.mjs ;;
    sandbox) node bench/sandbox/run.mjs --image "$HOLDOUT_KERNEL_IMAGE" ;;
    kernels) [ -f bench/kernels/run.mjs ] && node bench/kernels/run.mjs ;;
    web) node bench/web/run.mjs ;;
    inference) node bench/inference/run.mjs ;;
    # Starts its own PostgreSQL and Redis on other ports (HOLDOUT_RELIABILITY_*): it restarts them.
    reliability) node bench/reliability/run.mjs ;;
    artifacts) node bench/artifacts/fetch.mjs ;;
    *) echo "unknown benchmark '$name' (${all[*]})" >&2; exit 2 ;;
  esac
done
