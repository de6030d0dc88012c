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

# Production dependencies (what `npm ci --omit=dev` installs) with a known high or critical
# advisory fail the run. An audit that gets no report (offline, or a registry mirror without the
# advisory endpoint) prints a warning and lets the tests run: the check is only as good as its source.
step "auditing production dependencies (npm audit --omit=dev --audit-level=high)"
audit_report="$(mktemp)"
npm audit --omit=dev --audit-level=high --json --fetch-timeout=30000 --fetch-retries=1 >"$audit_report" 2>/dev/null || true # exits 1 on findings and on errors alike; the report tells them apart
node -e '
  let r = null;
  try { r = JSON.parse(require("fs").readFileSync(0, "utf8")); } catch {}
  if (!r || !r.metadata || !r.metadata.vulnerabilities) {
    const why = (r && (r.message || (r.error && (r.error.summary || r.error.code)))) || "no report";
    console.error(`WARNING: npm audit got no report (${String(why).split("\n")[0]}): production dependencies were NOT audited`);
    process.exit(0);
  }
  const found = Object.values(r.vulnerabilities || {}).filter((v) => v.severity === "high" || v.severity === "critical");
  for (const v of found) {
    const via = (v.via || []).map((x) => (typeof x === "string" ? x : `${x.title} ${x.url || ""}`.trim())).join("; ");
    const fix = v.fixAvailable === true ? "npm audit fix" : v.fixAvailable ? `upgrade ${v.fixAvailable.name} to ${v.fixAvailable.version}` : "no fix released";
    console.error(`  ${v.severity}: ${v.name} ${v.range} — ${via} (${fix})`);
  }
  const m = r.metadata.vulnerabilities;
  if (found.length) {
    console.error(`npm audit: ${found.length} package(s) in the production dependencies with a high or critical advisory`);
    process.exit(1);
  }
  console.error(`npm audit: no high or critical advisory in production dependencies (${m.moderate || 0} moderate, ${m.low || 0} low)`);
' <"$audit_report" || { rm -f "$audit_report"; exit 1; }
rm -f "$audit_report"

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
