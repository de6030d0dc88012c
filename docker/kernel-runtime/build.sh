#!/usr/bin/env bash
# Builds the kernel runtime image from Debian packages (no container registry is needed):
# mmdebstrap writes a bookworm root file system as a tar stream, `docker import` turns it into
# an image. The tag is a content digest of this script, the variant's package list and the apt
# sources, so an unchanged recipe is never rebuilt.
#
#   bash docker/kernel-runtime/build.sh [slim|full] [--force]
#
# Prints only the tag (e.g. holdout/kernel-runtime:slim-0123456789ab) on stdout; progress goes
# to stderr. Needs root, a running engine (scripts/docker-engine.sh) and mmdebstrap.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
VARIANT=slim
FORCE=0
for arg in "$@"; do
  case "$arg" in
    slim|full) VARIANT=$arg ;;
    --force) FORCE=1 ;;
    *) echo "usage: build.sh [slim|full] [--force]" >&2; exit 2 ;;
  esac
done

REPO=${KERNEL_RUNTIME_REPO:-holdout/kernel-runtime}
SUITE=bookworm
KAGGLE_UID=1000
PKG_FILE="$HERE/packages.$VARIANT.txt"
PACKAGES=$(grep -v '^\s*#' "$PKG_FILE" | awk 'NF { print $1 }' | sort -u | paste -sd, -)

# Use the host's apt sources when they are deb822 Debian sources (keeps any snapshot/mirror the
# machine is configured with); otherwise Debian's default mirror.
SOURCES=/etc/apt/sources.list.d/debian.sources
if [ -f "$SOURCES" ]; then MIRROR=("$SOURCES"); SOURCES_TEXT=$(cat "$SOURCES"); else MIRROR=(http://deb.debian.org/debian); SOURCES_TEXT=default; fi

DIGEST=$( { cat "$HERE/build.sh"; echo "$PACKAGES"; echo "$SOURCES_TEXT"; } | sha256sum | cut -c1-12)
TAG="$REPO:$VARIANT-$DIGEST"

log() { printf '[kernel-runtime] %s\n' "$*" >&2; }

if [ $FORCE = 0 ] && docker image inspect "$TAG" >/dev/null 2>&1; then
  log "$TAG exists; not rebuilding"
  echo "$TAG"
  exit 0
fi

command -v mmdebstrap >/dev/null || { log "mmdebstrap is missing (bash scripts/docker-engine.sh installs it)"; exit 1; }
log "building $TAG: $PACKAGES"
start=$SECONDS

# The customize hook runs outside the chroot with the root directory as $1: add the unprivileged
# kernel user without needing passwd/useradd inside, and the Kaggle directory layout.
HOOK=$(cat <<HOOK
set -e
echo 'kaggle:x:$KAGGLE_UID:$KAGGLE_UID:Kaggle kernel:/home/kaggle:/bin/bash' >> "\$1/etc/passwd"
echo 'kaggle:x:$KAGGLE_UID:' >> "\$1/etc/group"
echo 'kaggle:!:19000:0:99999:7:::' >> "\$1/etc/shadow"
mkdir -p "\$1/home/kaggle" "\$1/kaggle/input" "\$1/kaggle/working"
chown $KAGGLE_UID:$KAGGLE_UID "\$1/home/kaggle" "\$1/kaggle/working"
rm -rf "\$1/var/cache/apt/"*.bin "\$1/var/lib/apt/lists/"* "\$1/usr/share/doc-base"
HOOK
)

mmdebstrap --quiet --variant=apt --format=tar \
  --aptopt='Acquire::Check-Valid-Until "false"' \
  --aptopt='APT::Install-Recommends "false"' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-include=/usr/share/locale/locale.alias' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --include="$PACKAGES" \
  --customize-hook="$HOOK" \
  "$SUITE" - "${MIRROR[@]}" </dev/null |
  docker import \
    --change "USER $KAGGLE_UID:$KAGGLE_UID" \
    --change 'WORKDIR /kaggle/working' \
    --change 'ENV HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MPLCONFIGDIR=/tmp/matplotlib LANG=C.UTF-8' \
    --change "LABEL holdout.image=kernel-runtime holdout.variant=$VARIANT holdout.recipe=$DIGEST" \
    --change 'CMD ["python3"]' \
    - "$TAG" >/dev/null

# Smoke test: the packages import as the kernel user, with no network.
case $VARIANT in
  slim) IMPORTS='import numpy, PIL, skimage, nbconvert, ipykernel' ;;
  full) IMPORTS='import numpy, scipy, PIL, skimage, cv2, torch, onnx, pandas, nbconvert, ipykernel' ;;
esac
docker run --rm --network none --read-only --tmpfs /tmp "$TAG" python3 -c "$IMPORTS; print('ok')" >/dev/null
docker tag "$TAG" "$REPO:$VARIANT"
log "built $TAG in $((SECONDS - start))s, $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'), id $(docker image inspect -f '{{.Id}}' "$TAG")"
echo "$TAG"
