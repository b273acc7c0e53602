#!/usr/bin/env bash
# Smoke test for the offline images: runs each proxy image with a trivial config (and the echo
# backend) on a random 127.0.0.1 port, checks that it answers HTTP, then removes the containers.
# Usage: tools/images/smoke-test.sh   (after tools/images/build.sh)
set -euo pipefail

say() { echo "smoke: $*"; }
WORK="$(mktemp -d "${TMPDIR:-/tmp}/switchyard-smoke.XXXXXX")"
containers=()
cleanup() {
  if [ "${#containers[@]}" -gt 0 ]; then docker rm -f "${containers[@]}" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/nginx.conf" <<'EOF'
user nginx;
include /etc/nginx/modules-enabled/*.conf;
events {}
http { server { listen 80; location / { return 200 "smoke nginx\n"; } } }
stream { server { listen 127.0.0.1:9000; return "stream module loaded\n"; } }
EOF
cat >"$WORK/haproxy.cfg" <<'EOF'
global
  user haproxy
  group haproxy
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend web
  bind :80
  http-request return status 200 content-type text/plain string "smoke haproxy"
EOF
chmod 644 "$WORK"/*

# check NAME IMAGE CONTAINER_PORT EXPECTED [docker run flags...]
check() {
  local name="$1" image="$2" port="$3" expected="$4"; shift 4
  local id host_port body=""
  id="$(docker run -d -p "127.0.0.1::$port" "$@" "$image")"
  containers+=("$id")
  host_port="$(docker port "$id" "$port/tcp" | head -1 | sed 's/.*://')"
  for _ in $(seq 1 50); do
    body="$(node -e '
      const http = require("node:http");
      const req = http.get({ host: "127.0.0.1", port: Number(process.argv[1]), path: "/", timeout: 1000 }, (res) => {
        let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => process.stdout.write(res.statusCode + " " + b));
      });
      req.on("error", () => process.exit(1)); req.on("timeout", () => req.destroy());' "$host_port" 2>/dev/null || true)"
    [ -z "$body" ] || break
    sleep 0.2
  done
  case "$body" in
    "200 "*"$expected"*) say "$name ok ($image, 127.0.0.1:$host_port)" ;;
    *) docker logs "$id" >&2 || true; echo "smoke: FAILED: $name answered '${body:-nothing}'" >&2; exit 1 ;;
  esac
}

check proxy-nginx switchyard/proxy-nginx:latest 80 "smoke nginx" -v "$WORK/nginx.conf:/etc/nginx/nginx.conf:ro"
check proxy-haproxy switchyard/proxy-haproxy:latest 80 "smoke haproxy" -v "$WORK/haproxy.cfg:/etc/haproxy/haproxy.cfg:ro"
check e2e-echo switchyard/e2e-echo:latest 8080 '"task":"smoke"' -e ECHO_TASK=smoke
