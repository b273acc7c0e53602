#!/usr/bin/env bash
# Switchyard's one setup script (used by `npm run demo`, `npm test` and .ci/run). Idempotent: on a
# machine that is already set up it only checks and prints one line per step.
#
#   1. apt-installs what is missing: docker.io nginx-light libnginx-mod-stream haproxy caddy openssl
#      mmdebstrap busybox-static wrk (`apt-get update` once, only when something is missing)
#   2. creates the `nginx` system user if missing
#   3. stops a host nginx/haproxy/caddy that a package install started (ports 80/443 must stay free)
#   4. starts dockerd in the background when `docker info` fails (log: /var/log/dockerd.log)
#   5. `docker swarm init --advertise-addr 127.0.0.1` when the engine is not in a swarm
#   6. gets the pinned Node 22 (tools/node.sh) and runs what follows with it; `npm ci` when
#      node_modules is missing or older than package-lock.json
#   7. builds the images with tools/images/build.sh when any is absent; once apps/core or
#      apps/extension exist it always runs build.sh, which rebuilds the app images only when
#      their inputs (built dist/, manifests, base) changed
#
# Usage: tools/setup.sh [--no-images] [--images] [--proxies-only]
#   --no-images     skip step 7
#   --images        always run tools/images/build.sh (it skips images whose inputs are unchanged)
#   --proxies-only  passed to build.sh: base, node-base, proxy and e2e images only
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
IMAGES=auto
BUILD_ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --no-images) IMAGES=never ;;
    --images) IMAGES=always ;;
    --proxies-only) BUILD_ARGS+=(--proxies-only) ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "setup: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "setup: $*"; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

SUDO=()
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || die "run as root (or install sudo): packages, dockerd and users need it"
  SUDO=(sudo)
fi
as_root() { "${SUDO[@]}" "$@"; }

# --- 1. packages --------------------------------------------------------------------------------------
PACKAGES=(docker.io nginx-light libnginx-mod-stream haproxy caddy openssl mmdebstrap busybox-static wrk)
missing=()
for pkg in "${PACKAGES[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null)" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  say "packages: all present (${PACKAGES[*]})"
else
  say "packages: installing ${missing[*]}"
  # Keep package scripts from starting nginx/haproxy/caddy/docker: we start what we need ourselves.
  POLICY=/usr/sbin/policy-rc.d
  policy_added=0
  if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee "$POLICY" >/dev/null
    as_root chmod 755 "$POLICY"
    policy_added=1
  fi
  install_rc=0
  {
    as_root apt-get update -qq &&
      as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  } >/tmp/switchyard-apt.log 2>&1 || install_rc=$?
  [ "$policy_added" = 0 ] || as_root rm -f "$POLICY"
  if [ "$install_rc" != 0 ]; then
    tail -20 /tmp/switchyard-apt.log >&2
    die "apt-get install ${missing[*]} failed (full log: /tmp/switchyard-apt.log)"
  fi
  say "packages: installed ${missing[*]}"
fi

# --- 2. nginx user ------------------------------------------------------------------------------------
if id nginx >/dev/null 2>&1; then
  say "user nginx: present"
else
  as_root useradd --system --no-create-home --home-dir /nonexistent --user-group --shell /usr/sbin/nologin nginx \
    || die "could not create the nginx system user"
  say "user nginx: created"
fi

# --- 3. no host nginx/haproxy/caddy on 80/443 ---------------------------------------------------------
# Only daemons started from the host's packages are stopped (found by their pid files), never the
# nginx/haproxy processes inside containers.
for svc in nginx haproxy; do
  pidfile="/run/$svc.pid"
  if [ -s "$pidfile" ] && as_root kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
      as_root systemctl disable --now "$svc" >/dev/null 2>&1 || true
    elif [ -x "/etc/init.d/$svc" ]; then
      as_root "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
    fi
    if [ -s "$pidfile" ] && as_root kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      as_root kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
      for _ in $(seq 1 50); do as_root kill -0 "$(cat "$pidfile" 2>/dev/null || echo 0)" 2>/dev/null || break; sleep 0.1; done
    fi
    if [ -s "$pidfile" ] && as_root kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      die "host $svc (pid $(cat "$pidfile")) is still running; stop it so ports 80/443 stay free"
    fi
    say "host $svc: stopped"
  else
    say "host $svc: not running"
  fi
done

# Debian's caddy package enables a systemd service running /etc/caddy/Caddyfile, which listens on
# :80, and has no pid file or init script. Only that caddy is stopped: one whose command line names
# the package's Caddyfile, in this mount namespace (caddy in a container, e.g. switchyard/proxy-caddy,
# has its own; the tests' caddy runs other files).
MY_MNT="$(readlink /proc/self/ns/mnt)"
host_caddy_pids() {
  local pid
  for pid in $(pgrep -x caddy || true); do
    [ "$(as_root readlink "/proc/$pid/ns/mnt" 2>/dev/null || true)" = "$MY_MNT" ] || continue
    if as_root cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ' | grep -q -- '--config /etc/caddy/Caddyfile'; then echo "$pid"; fi
  done
}
caddy_unit=0
if command -v systemctl >/dev/null && [ -d /run/systemd/system ] &&
  { systemctl is-enabled --quiet caddy 2>/dev/null || systemctl is-active --quiet caddy 2>/dev/null; }; then
  as_root systemctl disable --now caddy >/dev/null 2>&1 || true
  caddy_unit=1
fi
pids="$(host_caddy_pids)"
if [ -n "$pids" ]; then
  # shellcheck disable=SC2086 # one pid per word
  as_root kill -TERM $pids 2>/dev/null || true
  for _ in $(seq 1 50); do [ -n "$(host_caddy_pids)" ] || break; sleep 0.1; done
  left="$(host_caddy_pids)"
  [ -z "$left" ] || die "host caddy (pid $(echo $left)) is still running; stop it so port 80 stays free"
fi
if [ -n "$pids" ] || [ "$caddy_unit" = 1 ]; then say "host caddy: stopped"; else say "host caddy: not running"; fi

# --- 4. dockerd ---------------------------------------------------------------------------------------
if docker info >/dev/null 2>&1; then
  say "dockerd: running"
else
  command -v dockerd >/dev/null || die "dockerd not found although docker.io is installed"
  # A machine stopped while dockerd ran keeps its pid file, and dockerd refuses to start beside it
  # ("pid file found"). Remove it only when no dockerd runs under that pid.
  stale=$(as_root cat /var/run/docker.pid 2>/dev/null || true)
  if [ -n "$stale" ] && ! as_root cat "/proc/$stale/comm" 2>/dev/null | grep -qx dockerd; then
    say "dockerd: removing a stale pid file (pid $stale is not running dockerd)"
    as_root rm -f /var/run/docker.pid
  fi
  say "dockerd: starting (log: /var/log/dockerd.log)"
  as_root sh -c 'setsid nohup dockerd >>/var/log/dockerd.log 2>&1 </dev/null &'
  ok=0
  for _ in $(seq 1 60); do
    if docker info >/dev/null 2>&1; then ok=1; break; fi
    sleep 1
  done
  [ "$ok" = 1 ] || { tail -20 /var/log/dockerd.log >&2 || true; die "dockerd did not answer within 60 s (see /var/log/dockerd.log)"; }
  say "dockerd: started"
fi

# --- 5. swarm -----------------------------------------------------------------------------------------
state="$(docker info --format '{{.Swarm.LocalNodeState}}' 2>/dev/null || true)"
if [ "$state" = active ]; then
  say "swarm: active"
else
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null || die "docker swarm init failed (node state: ${state:-unknown})"
  say "swarm: initialised (advertise 127.0.0.1)"
fi

# --- 6. Node 22 and node_modules ----------------------------------------------------------------------
command -v npm >/dev/null || die "npm not found: install Node.js and npm first"
# The pinned Node 22 (tools/node.sh) runs everything from here on, whatever Node the host has.
# shellcheck source=node.sh
. "$ROOT/tools/node.sh"
use_switchyard_node || die "could not get Node $NODE_VERSION (tools/node.sh)"
say "node: $(node --version) ($(dirname "$(command -v node)"))"
marker="$ROOT/node_modules/.package-lock.json"
if [ -f "$marker" ] && [ ! "$ROOT/package-lock.json" -nt "$marker" ]; then
  say "node_modules: up to date"
else
  say "node_modules: npm ci"
  (cd "$ROOT" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi

# --- 7. images ----------------------------------------------------------------------------------------
if [ "$IMAGES" = never ]; then
  say "images: skipped (--no-images)"
  exit 0
fi
IMAGE_LIST=(switchyard/base:bookworm switchyard/node-base:22 switchyard/proxy-nginx:latest
  switchyard/proxy-haproxy:latest switchyard/proxy-caddy:latest switchyard/e2e-echo:latest)
absent=()
for image in "${IMAGE_LIST[@]}"; do docker image inspect "$image" >/dev/null 2>&1 || absent+=("$image"); done
apps_present=0
case " ${BUILD_ARGS[*]-} " in
  *" --proxies-only "*) ;;
  *) if [ -f "$ROOT/apps/core/package.json" ] || [ -f "$ROOT/apps/extension/package.json" ]; then apps_present=1; fi ;;
esac
if [ "${#absent[@]}" -gt 0 ]; then
  say "images: building (absent: ${absent[*]})"
elif [ "$IMAGES" = always ]; then
  say "images: refreshing (--images)"
elif [ "$apps_present" = 1 ]; then
  # App images follow the working tree: build.sh rebuilds them only when their inputs changed.
  say "images: base/proxy/echo present; checking the app images"
else
  say "images: present (tools/images/build.sh refreshes them)"
  exit 0
fi
bash "$ROOT/tools/images/build.sh" ${BUILD_ARGS[@]+"${BUILD_ARGS[@]}"} || die "image build failed"
# npm ci ran before the workspace build wrote apps/cli/dist/main.js, so it could not link the
# `switchyard` bin then, and each build rewrites main.js without its executable bit: fix both now.
if [ -f "$ROOT/apps/cli/dist/main.js" ]; then
  chmod +x "$ROOT/apps/cli/dist/main.js"
  [ -e "$ROOT/node_modules/.bin/switchyard" ] || (cd "$ROOT" && npm rebuild @switchyard/cli --ignore-scripts --loglevel=error >/dev/null) ||
    say "could not link the switchyard CLI: use node apps/cli/dist/main.js"
fi
say "done"
