#!/usr/bin/env bash
# README command 1 (`npm run demo`): swarm + Switchyard + a sample app, then a routed request.
# Deploys Switchyard exactly as docs/deploy.md tells users to: `docker stack deploy -c docs/stack.yml`.
# Idempotent. `npm run demo:down` (tools/demo.sh --down) removes everything it created.
# Ports: SWITCHYARD_HTTP_PORT (default 80), SWITCHYARD_HTTPS_PORT (default 443) and
# SWITCHYARD_CORE_PORT (core's mutual-TLS gRPC port for the CLI, default 8080) must be free.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[demo] $*"; }

if [ "${1:-}" = "--down" ]; then
  docker service rm demo-app >/dev/null 2>&1 && say "removed demo-app" || true
  if docker stack ls --format '{{.Name}}' 2>/dev/null | grep -qx switchyard; then
    say "removing stack switchyard"
    # The network stays while core's extension still uses it; down.sh removes it afterwards.
    docker stack rm switchyard >/dev/null 2>&1 || true
  fi
  bash tools/swarm/down.sh switchyard_core switchyard
  for _ in 1 2 3 4 5; do docker network rm demo-net >/dev/null 2>&1 && break; sleep 2; done
  docker config ls -q --filter name=switchyard-config- | xargs -r docker config rm >/dev/null 2>&1 || true
  exit 0
fi

http_port=${SWITCHYARD_HTTP_PORT:-80}
https_port=${SWITCHYARD_HTTPS_PORT:-443}
core_port=${SWITCHYARD_CORE_PORT:-8080}
export SWITCHYARD_CORE_PORT=$core_port
bash tools/setup.sh
# shellcheck source=node.sh
. tools/node.sh && use_switchyard_node

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp docs/stack.yml "$work/stack.yml"
sed -e "s/^PublishedPort = 80$/PublishedPort = $http_port/" -e "s/^PublishedSSLPort = 443$/PublishedSSLPort = $https_port/" docs/switchyard.toml >"$work/switchyard.toml"
export SWITCHYARD_CONFIG_VERSION
SWITCHYARD_CONFIG_VERSION=$(sha256sum "$work/switchyard.toml" | cut -c1-12)
say "deploying the switchyard stack (docker stack deploy -c docs/stack.yml switchyard)"
docker stack deploy --resolve-image never -c "$work/stack.yml" switchyard

if ! docker network inspect demo-net >/dev/null 2>&1; then
  say "creating overlay network demo-net"
  docker network create --driver overlay demo-net >/dev/null
fi
if ! docker service inspect demo-app >/dev/null 2>&1; then
  say "deploying the sample app demo-app (2 replicas) with com.docker.lb.hosts=demo.local"
  docker service create --detach --no-resolve-image --name demo-app --replicas 2 --network demo-net \
    --env 'ECHO_TASK={{.Task.Name}}' \
    --label com.docker.lb.hosts=demo.local --label com.docker.lb.port=8080 \
    switchyard/e2e-echo:latest >/dev/null
fi

say "waiting for http://127.0.0.1:$http_port/ with Host: demo.local to be routed (up to 180 s)"
for i in $(seq 1 180); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Host: demo.local' "http://127.0.0.1:$http_port/" || true)
  if [ "$code" = "200" ]; then
    say "routed after ${i}s:"
    echo "\$ curl -si -H 'Host: demo.local' http://127.0.0.1:$http_port/"
    curl -si --max-time 5 -H 'Host: demo.local' "http://127.0.0.1:$http_port/"
    echo
    say "services:"
    docker service ls --format '  {{.Name}}  {{.Replicas}}  {{.Image}}'
    # core's API speaks mutual TLS only: leave an operator certificate where the CLI looks.
    bash tools/swarm/credentials.sh switchyard_core .switchyard/operator.pem
    say "the CLI in this checkout now works with no extra step:"
    echo "\$ npx switchyard status --core 127.0.0.1:$core_port"
    npx --no-install switchyard status --core "127.0.0.1:$core_port" || say "(switchyard status failed; see above)"
    say "done. Tear down with: npm run demo:down"
    exit 0
  fi
  sleep 1
done
say "no routed answer after 180 s; core's log follows"
docker service logs --tail 50 switchyard_core 2>&1 || true
exit 1
