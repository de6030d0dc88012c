# Shared by scripts/start.sh and scripts/test.sh. Source it; it defines functions only.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ONNXRUNTIME_NODE_INSTALL=skip # its install script downloads CUDA files we cannot reach
export NEXT_TELEMETRY_DISABLED=1

step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

# npm ci when node_modules is missing or older than the lock file.
ensure_node_deps() {
  local marker="$ROOT/node_modules/.package-lock.json"
  if [ ! -f "$marker" ] || [ "$ROOT/package-lock.json" -nt "$marker" ]; then
    step "installing npm dependencies (npm ci)"
    (cd "$ROOT" && npm ci --no-audit --no-fund)
  fi
}

# Debian packages that are not services but that tests or kernels need.
ensure_apt() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return
  [ "$(id -u)" = 0 ] || { echo "missing Debian packages: ${missing[*]} (install them as root)" >&2; return 1; }
  step "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

build_all() {
  step "building (tsc -b)"
  (cd "$ROOT" && npx tsc -b)
  if [ -f "$ROOT/apps/web/next.config.ts" ] || [ -f "$ROOT/apps/web/next.config.mjs" ]; then
    step "building the web app (next build)"
    (cd "$ROOT" && npm run build -w @holdout/web)
  fi
}
