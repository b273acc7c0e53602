#!/usr/bin/env bash
# Deploys Switchyard core as a swarm service, as a user would, and lets core deploy the rest.
# usage: tools/swarm/up.sh CONFIG.toml [CORE_SERVICE_NAME] [CORE_NETWORK]
#   CONFIG.toml is stored as a Docker Config (named by content hash) and mounted at /config.toml.
#   Idempotent: an existing core service is updated to the config and image given.
#   SWITCHYARD_CORE_PUBLISH=PORT publishes core's gRPC port on the host (host mode), e.g. for the CLI;
#   SWITCHYARD_METRICS_PUBLISH=PORT likewise publishes core's /healthz and /metrics port (8081).
set -euo pipefail
config_file=${1:?usage: up.sh CONFIG.toml [CORE_SERVICE_NAME] [CORE_NETWORK]}
core=${2:-switchyard-core}
network=${3:-switchyard}
image=${SWITCHYARD_CORE_IMAGE:-switchyard/core:latest}

say() { echo "[switchyard] $*"; }

if ! docker network inspect "$network" >/dev/null 2>&1; then
  say "creating overlay network $network"
  docker network create --driver overlay --attachable "$network" >/dev/null
fi

hash=$(sha256sum "$config_file" | cut -c1-12)
config_name="${core}-config-${hash}"
if ! docker config inspect "$config_name" >/dev/null 2>&1; then
  say "storing $config_file as Docker Config $config_name"
  docker config create --label com.switchyard.core-config="$core" "$config_name" "$config_file" >/dev/null
fi

if docker service inspect "$core" >/dev/null 2>&1; then
  current=$(docker service inspect "$core" --format '{{range .Spec.TaskTemplate.ContainerSpec.Configs}}{{.ConfigName}} {{end}}')
  if [[ " $current " != *" $config_name "* ]]; then
    say "updating core service $core to config $config_name"
    old=$(echo "$current" | tr ' ' '\n' | grep -v '^$' | head -1 || true)
    docker service update --detach --no-resolve-image --image "$image" ${old:+--config-rm "$old"} --config-add "source=$config_name,target=/config.toml" "$core" >/dev/null
  else
    say "core service $core is up to date"
  fi
else
  say "creating core service $core (image $image, network $network)"
  docker service create --detach --no-resolve-image --name "$core" \
    --network "$network" --endpoint-mode dnsrr \
    --constraint node.role==manager \
    --mount type=bind,src=/var/run/docker.sock,dst=/var/run/docker.sock \
    --config "source=$config_name,target=/config.toml" \
    --label com.switchyard.role=core \
    ${SWITCHYARD_CORE_PUBLISH:+--publish mode=host,published=$SWITCHYARD_CORE_PUBLISH,target=8080} \
    ${SWITCHYARD_METRICS_PUBLISH:+--publish mode=host,published=$SWITCHYARD_METRICS_PUBLISH,target=8081} \
    "$image" --config /config.toml >/dev/null
fi
