#!/usr/bin/env bash
# Builds a CUDA-enabled kernel runtime for GPU hosts (issue 18): the platform's own image
# (build.sh) is Debian's CPU PyTorch; a GPU host needs NVIDIA's CUDA runtime and a CUDA build of
# PyTorch. This layers what kernels expect (the `kaggle` user, uid 1000, /kaggle/input and
# /kaggle/working, Python with the scientific stack, nbconvert for notebooks) on a CUDA base image
# the operator provides, and installs PyTorch (and any other wheels) from a folder of wheels, so
# the build itself needs no registry or PyPI:
#
#   bash docker/kernel-runtime/build-cuda.sh --base nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04 \
#        --wheels /srv/wheels [--tag holdout/kernel-runtime:cuda] [--gpu-check]
#
# --base   an Ubuntu or Debian image already in this engine (on a machine with registry access:
#          `docker pull <base>`, then `docker save <base> | ssh gpu-host docker load`).
# --wheels a folder of wheels for the image's Python (e.g. `pip download torch torchvision onnx
#          --index-url https://download.pytorch.org/whl/cu124 -d /srv/wheels` elsewhere); without
#          it, no PyTorch is installed (the distribution's python3-torch is CPU-only).
# --network  the network of the build's apt step (e.g. `host` where containers have no route out).
# --gpu-check  after building, run `torch.cuda.is_available()` with `--gpus all` (needs the NVIDIA
#          container runtime and a GPU on this host).
#
# Prints the pinned reference `<tag>@<image id>` on stdout, for a competition's `kernel.image`
# (the worker then refuses any other build of that name); progress goes to stderr. What was
# tested on the platform's machines (no GPU, no registry): the build with the Debian-based
# runtime image as --base and no wheels; the CUDA base, the wheels and --gpu-check were not.
set -euo pipefail

BASE=""
WHEELS=""
TAG="holdout/kernel-runtime:cuda"
GPU_CHECK=0
NETWORK=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE=${2:?--base takes an image}; shift 2 ;;
    --wheels) WHEELS=${2:?--wheels takes a folder}; shift 2 ;;
    --tag) TAG=${2:?--tag takes a name}; shift 2 ;;
    --network) NETWORK=(--network "${2:?--network takes a name}"); shift 2 ;;
    --gpu-check) GPU_CHECK=1; shift ;;
    *) echo "usage: build-cuda.sh --base IMAGE [--wheels DIR] [--tag NAME] [--network NAME] [--gpu-check]" >&2; exit 2 ;;
  esac
done
log() { printf '[kernel-runtime:cuda] %s\n' "$*" >&2; }
[ -n "$BASE" ] || { echo "usage: build-cuda.sh --base IMAGE [--wheels DIR] [--tag NAME] [--network NAME] [--gpu-check]" >&2; exit 2; }
docker image inspect "$BASE" >/dev/null 2>&1 || {
  log "the base image $BASE is not in this engine; pull it where a registry is reachable and load it here (docker save $BASE | docker load)"
  exit 1
}
if [ -n "$WHEELS" ] && ! compgen -G "$WHEELS/*.whl" >/dev/null; then
  log "no .whl files in $WHEELS"
  exit 1
fi

CONTEXT=$(mktemp -d)
trap 'rm -rf "$CONTEXT"' EXIT
mkdir -p "$CONTEXT/wheels"
[ -n "$WHEELS" ] && cp "$WHEELS"/*.whl "$CONTEXT/wheels/"
cat > "$CONTEXT/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
USER 0:0
# The scientific stack from the distribution; PyTorch and friends from the given wheels.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      python3 python3-pip python3-numpy python3-scipy python3-pil python3-skimage python3-opencv \
      python3-pandas jupyter-nbconvert python3-ipykernel \
 && rm -rf /var/lib/apt/lists/*
COPY wheels/ /tmp/wheels/
RUN if ls /tmp/wheels/*.whl >/dev/null 2>&1; then \
      pip3 install --no-index --no-cache-dir --find-links /tmp/wheels /tmp/wheels/*.whl \
        || pip3 install --no-index --no-cache-dir --break-system-packages --find-links /tmp/wheels /tmp/wheels/*.whl; \
    fi \
 && rm -rf /tmp/wheels
# The kernel user and the Kaggle layout, as the platform's own image has them.
RUN (getent passwd 1000 >/dev/null || (groupadd -g 1000 kaggle && useradd -u 1000 -g 1000 -d /home/kaggle -m -s /bin/bash kaggle)) \
 && mkdir -p /kaggle/input /kaggle/working \
 && chown 1000:1000 /kaggle/working
USER 1000:1000
WORKDIR /kaggle/working
ENV HOME=/tmp PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MPLCONFIGDIR=/tmp/matplotlib LANG=C.UTF-8
LABEL holdout.image=kernel-runtime holdout.variant=cuda
CMD ["python3"]
DOCKERFILE

log "building $TAG on $BASE${WHEELS:+ with the wheels in $WHEELS}"
docker build --quiet "${NETWORK[@]}" --build-arg "BASE=$BASE" -t "$TAG" "$CONTEXT" >/dev/null
# Smoke test, as the kernel user with no network: the stack imports (PyTorch where wheels were given).
IMPORTS='import numpy, scipy, PIL, skimage, cv2, pandas, nbconvert, ipykernel'
[ -n "$WHEELS" ] && IMPORTS="$IMPORTS, torch"
docker run --rm --network none --read-only --tmpfs /tmp "$TAG" python3 -c "$IMPORTS; print('ok')" >/dev/null
if [ $GPU_CHECK = 1 ]; then
  docker run --rm --network none --gpus all "$TAG" python3 -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { log "torch.cuda.is_available() is false in $TAG: check the NVIDIA container runtime and that the wheels are a CUDA build"; exit 1; }
fi
ID=$(docker image inspect -f '{{.Id}}' "$TAG")
log "built $TAG, $(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1/1e6}'), id $ID"
echo "$TAG@$ID"
