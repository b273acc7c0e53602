#!/usr/bin/env bash
# README command 1 (`npm run demo`): swarm + Switchyard + a sample app, then a routed request.
# Idempotent. `npm run demo:down` (tools/demo.sh --down) removes everything it created.
# Ports: SWITCHYARD_HTTP_PORT (default 80) must be free on this host.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "[demo] $*"; }

if [ "${1:-}" = "--down" ]; then
  docker service rm demo-app >/dev/null 2>&1 && say "removed demo-app" || true
  bash tools/swarm/down.sh switchyard-core switchyard
  for _ in 1 2 3 4 5; do docker network rm demo-net >/dev/null 2>&1 && break; sleep 2; done
  exit 0
fi

port=${SWITCHYARD_HTTP_PORT:-80}
bash tools/setup.sh
config=$(mktemp)
trap 'rm -f "$config"' EXIT
sed -e "s/^PublishedPort = 80$/PublishedPort = $port/" docs/demo/switchyard.toml >"$config"
bash tools/swarm/up.sh "$config" switchyard-core switchyard

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

say "waiting for http://127.0.0.1:$port/ with Host: demo.local to be routed (up to 180 s)"
for i in $(seq 1 180); do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Host: demo.local' "http://127.0.0.1:$port/" || true)
  if [ "$code" = "200" ]; then
    say "routed after ${i}s:"
    echo "\$ curl -si -H 'Host: demo.local' http://127.0.0.1:$port/"
    curl -si --max-time 5 -H 'Host: demo.local' "http://127.0.0.1:$port/"
    echo
    say "services:"
    docker service ls --format '  {{.Name}}\t{{.Replicas}}\t{{.Image}}'
    say "done. Tear down with: npm run demo:down"
    exit 0
  fi
  sleep 1
done
say "no routed answer after 180 s; core's log follows"
docker service logs --tail 50 switchyard-core 2>&1 || true
exit 1
