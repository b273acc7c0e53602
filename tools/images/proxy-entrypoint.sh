#!/bin/sh
# Entrypoint of Switchyard's proxy images (proxy-nginx, proxy-haproxy).
#
# Rolling mode (SWITCHYARD_CORE_ADDRESS unset or empty): run the image's CMD unchanged, i.e. the
# stock proxy in the foreground with the configuration Docker mounted. This is the behaviour the
# images always had; core replaces the task to change the configuration.
#
# Hitless mode (SWITCHYARD_CORE_ADDRESS=host:port, set by core on the proxy service): run the proxy
# agent (apps/proxy-agent). It starts the same proxy as its child from /run/switchyard/live (the
# mounted configuration is the boot fallback), follows core's configurations, checks each with the
# proxy's own check and reloads the proxy gracefully in place. It forwards the stop signal and exits
# with the proxy's exit code. Settings: SWITCHYARD_* variables (see apps/proxy-agent/README.md).
set -eu

if [ -z "${SWITCHYARD_CORE_ADDRESS:-}" ]; then
  exec "$@"
fi
exec node /opt/switchyard/apps/proxy-agent/dist/main.js
