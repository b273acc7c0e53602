#!/usr/bin/env bash
# A throwaway multi-node swarm in docker-in-docker containers (switchyard/dind-node, built on first
# use by tools/images/dind-node.sh), for the multi-node e2e test and for trying things by hand.
#
#   dind.sh up PREFIX [WORKERS]       network PREFIX-net (user-defined bridge) and containers
#                                     PREFIX-manager, PREFIX-worker1..N (default 2), each running
#                                     `dockerd --storage-driver=vfs`; swarm init on the manager (its
#                                     bridge address), the workers join; waits for all nodes Ready.
#                                     Prints one line per node: NAME ADDRESS SOCKET.
#   dind.sh load-images NODE IMAGE... `docker save IMAGE... | docker exec -i NODE docker load`
#   dind.sh down PREFIX               removes the containers (with their volumes), the network and
#                                     the socket directory; never fails, safe to run twice.
#
# Each node's engine also listens on a unix socket in /tmp/PREFIX-dind/NAME/docker.sock on the
# host, so `DOCKER_HOST=unix:///tmp/PREFIX-dind/PREFIX-manager/docker.sock docker ...` (or
# tools/swarm/up.sh run that way) talks to the manager. No TCP port is opened. Every wait is bounded.
# Run flags: see ../shared/platform.md ("Multi-node swarm"); plain --privileged fails there.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IMAGE=${SWITCHYARD_DIND_IMAGE:-switchyard/dind-node:latest}
LABEL=com.switchyard.dind

say() { echo "dind: $*" >&2; }
die() { echo "dind: ERROR: $*" >&2; exit 1; }
sockdir() { echo "${TMPDIR:-/tmp}/$1-dind"; }
address() { docker inspect --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1"; }
# on NODE CMD...: a command inside the node (its own engine).
on() { local node=$1; shift; docker exec "$node" "$@"; }

wait_engine() {
  local node=$1
  for _ in $(seq 1 60); do
    on "$node" docker info >/dev/null 2>&1 && return 0
    docker inspect --format '{{.State.Running}}' "$node" 2>/dev/null | grep -q true || { docker logs --tail 30 "$node" >&2; die "$node stopped"; }
    sleep 1
  done
  docker logs --tail 30 "$node" >&2
  die "the engine in $node did not answer within 60 s"
}

cmd_up() {
  local prefix=${1:?usage: dind.sh up PREFIX [WORKERS]} workers=${2:-2}
  local net="$prefix-net" dir start=$SECONDS
  dir=$(sockdir "$prefix")
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    [ "$IMAGE" = switchyard/dind-node:latest ] || die "image $IMAGE not found"
    bash "$ROOT/tools/images/dind-node.sh" >&2
  fi
  # Fixed node addresses, so a node container that is stopped and started again keeps its swarm
  # advertise address: Docker picks a free subnet, the network is made again with it explicit.
  docker network inspect "$net" >/dev/null 2>&1 && die "network $net exists (run 'dind.sh down $prefix' first)"
  docker network create --driver bridge "$net" >/dev/null
  local subnet gateway
  subnet=$(docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' "$net")
  gateway=$(docker network inspect --format '{{range .IPAM.Config}}{{.Gateway}}{{end}}' "$net")
  docker network rm "$net" >/dev/null
  docker network create --driver bridge --subnet "$subnet" --gateway "$gateway" --label "$LABEL=$prefix" "$net" >/dev/null
  local nodes=("$prefix-manager") i n=10
  for i in $(seq 1 "$workers"); do nodes+=("$prefix-worker$i"); done
  for node in "${nodes[@]}"; do
    mkdir -p "$dir/$node"
    n=$((n + 1))
    docker run -d --name "$node" --hostname "$node" --network "$net" --ip "${gateway%.*}.$n" --label "$LABEL=$prefix" \
      --cap-add=ALL --cap-drop=SYS_RESOURCE --security-opt seccomp=unconfined \
      --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
      -v /sys/fs/cgroup:/sys/fs/cgroup:rw -v "$dir/$node:/run/switchyard-host" \
      "$IMAGE" dockerd --storage-driver=vfs -H unix:///var/run/docker.sock -H unix:///run/switchyard-host/docker.sock >/dev/null
  done
  for node in "${nodes[@]}"; do wait_engine "$node"; done
  local manager="${nodes[0]}" maddr token
  maddr=$(address "$manager")
  on "$manager" docker swarm init --advertise-addr "$maddr" >/dev/null
  token=$(on "$manager" docker swarm join-token -q worker)
  for node in "${nodes[@]:1}"; do
    on "$node" docker swarm join --advertise-addr "$(address "$node")" --token "$token" "$maddr:2377" >/dev/null
  done
  local ready=0
  for _ in $(seq 1 60); do
    ready=$(on "$manager" docker node ls --format '{{.Status}}' | grep -c '^Ready$' || true)
    [ "$ready" -ge "${#nodes[@]}" ] && break
    sleep 1
  done
  [ "$ready" -ge "${#nodes[@]}" ] || die "only $ready of ${#nodes[@]} nodes Ready after 60 s"
  say "swarm of ${#nodes[@]} nodes up ($((SECONDS - start)) s)"
  for node in "${nodes[@]}"; do echo "$node $(address "$node") $dir/$node/docker.sock"; done
}

cmd_load_images() {
  local node=${1:?usage: dind.sh load-images NODE IMAGE...}; shift
  [ $# -gt 0 ] || die "usage: dind.sh load-images NODE IMAGE..."
  local start=$SECONDS
  docker save "$@" | docker exec -i "$node" docker load >/dev/null
  say "loaded $* into $node ($((SECONDS - start)) s)"
}

cmd_down() {
  local prefix=${1:?usage: dind.sh down PREFIX}
  local ids
  ids=$(docker ps -aq --filter "label=$LABEL=$prefix")
  # -v: the anonymous /var/lib/docker volumes go with the containers.
  [ -z "$ids" ] || docker rm -f -v $ids >/dev/null 2>&1 || true
  for net in $(docker network ls -q --filter "label=$LABEL=$prefix"); do
    for _ in 1 2 3 4 5; do docker network rm "$net" >/dev/null 2>&1 && break; sleep 1; done
  done
  rm -rf "$(sockdir "$prefix")"
  say "down ($prefix)"
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  load-images) shift; cmd_load_images "$@" ;;
  down) shift; cmd_down "$@" ;;
  *) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 2 ;;
esac
