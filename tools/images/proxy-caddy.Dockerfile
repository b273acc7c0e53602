# A Caddy proxy for the example third-party extension (examples/caddy): Debian's caddy binary, plus
# the same small helper process as the nginx and HAProxy images.
#
# By default (SWITCHYARD_CORE_ADDRESS unset) the entrypoint execs the CMD: `caddy run` on the config
# Docker mounted at /etc/caddy/caddy.json (core's rolling updates replace the task per change).
# With SWITCHYARD_CORE_ADDRESS set (in-place updates), it runs the proxy agent, which starts caddy
# from its live copy of the file and applies each new configuration with the commands core passes
# on from the `[Extensions.<name>]` section (ProxyArgs, ProxyCheckCommand, ProxyReloadCommand).
#
# The binary comes from Debian's `caddy` package (bookworm: 2.6.2, a static Go binary), extracted
# by build.sh into the context as ./caddy; the real world could copy it from the `caddy:2` image.
#
#   Offline (see build.sh):  --build-arg BASE_IMAGE=switchyard/base:bookworm
#                            --build-arg AGENT_IMAGE=switchyard/proxy-agent:<hash>
ARG BASE_IMAGE=debian:bookworm-slim
ARG AGENT_IMAGE=switchyard/proxy-agent:latest
FROM ${AGENT_IMAGE} AS agent

FROM ${BASE_IMAGE}
COPY caddy /usr/bin/caddy
# Caddy keeps its autosaved config and data under XDG directories; /run/switchyard holds the
# agent's configuration generations.
ENV XDG_CONFIG_HOME=/var/lib/caddy/config XDG_DATA_HOME=/var/lib/caddy/data
RUN mkdir -p /etc/caddy /var/lib/caddy/config /var/lib/caddy/data /run/switchyard \
 && caddy version
COPY --from=agent /usr/local/bin/node /usr/local/bin/node
COPY --from=agent /opt/switchyard /opt/switchyard
COPY proxy-entrypoint.sh /usr/local/bin/switchyard-proxy-entrypoint
ENV SWITCHYARD_PROXY_KIND=caddy

EXPOSE 80 443
# SIGTERM = graceful stop (finish open requests). In hitless mode the agent forwards it.
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh", "/usr/local/bin/switchyard-proxy-entrypoint"]
CMD ["caddy", "run", "--config", "/etc/caddy/caddy.json"]
