#!/usr/bin/env bash
# Removes what tools/swarm/up.sh deployed and everything that core created.
# usage: tools/swarm/down.sh [CORE_SERVICE_NAME] [CORE_NETWORK]
set -uo pipefail
core=${1:-switchyard-core}
network=${2:-switchyard}
say() { echo "[switchyard] $*"; }

if docker service inspect "$core" >/dev/null 2>&1; then
  say "removing core service $core"
  docker service rm "$core" >/dev/null
fi
# Wait for core's container to be gone: a core still stopping would recreate what we remove next.
for _ in $(seq 1 60); do
  [ -z "$(docker ps -q --filter label=com.docker.swarm.service.name="$core")" ] && break
  sleep 1
done
# Services core deployed (extensions and proxies), found by the installation label.
for svc in $(docker service ls -q --filter label=com.switchyard.core-network="$network"); do
  say "removing $(docker service inspect "$svc" --format '{{.Spec.Name}}')"
  docker service rm "$svc" >/dev/null
done
sleep 2
for c in $(docker config ls -q --filter label=com.switchyard.core-config="$core"); do docker config rm "$c" >/dev/null 2>&1; done
for _ in 1 2 3 4 5; do
  left=$(docker config ls -q --filter label=com.switchyard.core-network="$network")
  [ -z "$left" ] && break
  for c in $left; do docker config rm "$c" >/dev/null 2>&1 || true; done
  sleep 2
done
# The control-plane CA and the credentials core issued (removed with the installation: a new one
# starts with a new CA).
for _ in 1 2 3 4 5; do
  left=$(docker secret ls -q --filter label=com.switchyard.core-network="$network")
  [ -z "$left" ] && break
  for s in $left; do docker secret rm "$s" >/dev/null 2>&1 || true; done
  sleep 2
done
if docker network inspect "$network" >/dev/null 2>&1; then
  for _ in 1 2 3 4 5 6 7 8 9 10; do docker network rm "$network" >/dev/null 2>&1 && break; sleep 1; done
fi
say "down"
