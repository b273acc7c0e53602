#!/usr/bin/env bash
# Writes a credentials bundle (certificate, key, CA) issued by a running Switchyard core's
# control-plane CA: an operator's for the CLI (the default), or a third-party extension's.
# usage: tools/swarm/credentials.sh [CORE_SERVICE] [OUT_FILE] [NAME] [ROLE] [SERVICE_CLUSTER]
#   defaults: switchyard-core, ./.switchyard/operator.pem (where the CLI looks), $USER or
#   "operator", role operator, cluster "" (an extension acts only for its own name and cluster).
#   Waits (up to 120 s) for core's task to run with its CA (on first start core mounts the CA
#   secret it creates and is restarted by Swarm once).
set -euo pipefail
core=${1:-switchyard-core}
out=${2:-.switchyard/operator.pem}
name=${3:-${USER:-operator}}
role=${4:-operator}
cluster=${5:-}
name=$(printf '%s' "$name" | tr -c 'A-Za-z0-9_.-' '-')
deadline=$((SECONDS + 120))
mkdir -p "$(dirname "$out")"
umask 077
while :; do
  for cid in $(docker ps --quiet --filter "label=com.docker.swarm.service.name=$core"); do
    if docker exec "$cid" node apps/core/dist/main.js issue --role "$role" --name "$name" --cluster "$cluster" >"$out.tmp" 2>/dev/null && [[ -s "$out.tmp" ]]; then
      mv "$out.tmp" "$out"
      echo "[switchyard] $role credentials for '$name' written to $out"
      exit 0
    fi
  done
  rm -f "$out.tmp"
  if ((SECONDS > deadline)); then
    echo "[switchyard] core service $core has no running task with its control-plane CA after 120 s; see 'docker service logs $core'" >&2
    exit 1
  fi
  sleep 1
done
