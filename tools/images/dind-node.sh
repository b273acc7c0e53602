#!/usr/bin/env bash
# Builds switchyard/dind-node:latest offline: a Debian bookworm minbase rootfs with Docker Engine
# (Debian's docker.io, 20.10), iproute2 and ca-certificates, made by mmdebstrap and imported with
# `docker import`. It is one swarm node of the multi-node e2e test (tools/swarm/dind.sh runs it).
#
#   switchyard/dind-node:<recipe hash> and :latest   CMD: dockerd --storage-driver=vfs
#
# The rootfs tarball is cached as ${XDG_CACHE_HOME:-~/.cache}/switchyard/rootfs-dind-<hash>.tar
# (mmdebstrap ~30-60 s on first use, then `docker import` ~10 s); an image whose recipe hash tag
# exists is not built again (a second run takes well under a second).
#
# Usage: tools/images/dind-node.sh [--refresh] [--cache-dir DIR]
set -euo pipefail

SUITE=bookworm
PACKAGES=docker.io,iproute2,ca-certificates
# dockerd inside a container: vfs works on any backing filesystem (overlay on overlay does not).
CMD_JSON='["dockerd","--storage-driver=vfs"]'
DPKG_OPTS=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
)

CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/switchyard"
REFRESH=0
while [ $# -gt 0 ]; do
  case "$1" in
    --refresh) REFRESH=1 ;;
    --cache-dir) CACHE_DIR="${2:?--cache-dir needs a directory}"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "dind-node: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "dind-node: $*"; }
die() { echo "dind-node: ERROR: $*" >&2; exit 1; }
now() { date +%s; }

docker info >/dev/null 2>&1 || die "dockerd is not answering (run tools/setup.sh first)"
mkdir -p "$CACHE_DIR"
HASH="$(printf '%s\n' "$SUITE" "$PACKAGES" "$CMD_JSON" "${DPKG_OPTS[@]}" | sha256sum | cut -c1-12)"
IMAGE=switchyard/dind-node
ROOTFS="$CACHE_DIR/rootfs-dind-$SUITE-$HASH.tar"

if [ "$REFRESH" = 1 ]; then
  rm -f "$ROOTFS"
  docker image rm "$IMAGE:$HASH" >/dev/null 2>&1 || true
fi
if docker image inspect "$IMAGE:$HASH" >/dev/null 2>&1; then
  docker tag "$IMAGE:$HASH" "$IMAGE:latest"
  say "$IMAGE:$HASH up to date"
  exit 0
fi
if [ ! -s "$ROOTFS" ]; then
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found (run tools/setup.sh first)"
  start=$(now)
  log="$(mktemp "${TMPDIR:-/tmp}/switchyard-dind-node.XXXXXX")"
  say "mmdebstrap $SUITE minbase + $PACKAGES -> $ROOTFS"
  mmdebstrap --quiet --format=tar --variant=minbase --include="$PACKAGES" "${DPKG_OPTS[@]}" \
    "$SUITE" "$ROOTFS.partial" >"$log" 2>&1 \
    || { cat "$log" >&2; rm -f "$ROOTFS.partial" "$log"; die "mmdebstrap failed"; }
  rm -f "$log"
  mv "$ROOTFS.partial" "$ROOTFS"
  say "mmdebstrap done ($(( $(now) - start ))s, $(du -h "$ROOTFS" | cut -f1))"
fi
start=$(now)
docker import --change "CMD $CMD_JSON" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'VOLUME /var/lib/docker' \
  "$ROOTFS" "$IMAGE:$HASH" >/dev/null
docker tag "$IMAGE:$HASH" "$IMAGE:latest"
# Older recipe tags of the image go (their layers once unused).
for tag in $(docker image ls "$IMAGE" --format '{{.Tag}}'); do
  if [[ "$tag" =~ ^[0-9a-f]{12}$ ]] && [ "$tag" != "$HASH" ]; then docker image rm "$IMAGE:$tag" >/dev/null 2>&1 || true; fi
done
say "imported $IMAGE:$HASH ($(( $(now) - start ))s)"
