# Switchyard's nginx proxy image: the stock nginx binary, plus one small documented helper process.
#
# By default (SWITCHYARD_CORE_ADDRESS unset) nothing of ours runs: the entrypoint execs the CMD, the
# stock nginx in the foreground. The config is mounted at /etc/nginx/nginx.conf (a Docker Config
# written by the extension). A configuration too large for one Docker Config is split: nginx.conf
# includes switchyard.d/*.conf (relative to its own directory) and those parts are mounted under
# /etc/nginx/switchyard.d/. The directory ships empty; an include glob matching nothing is fine.
#
# With SWITCHYARD_CORE_ADDRESS set (hitless mode), the entrypoint runs the proxy agent
# (apps/proxy-agent, Node, under /opt/switchyard): it runs the same nginx as its child from
# /run/switchyard/live/nginx.conf, takes each new configuration from core over gRPC, checks it with
# `nginx -t` and reloads with SIGHUP (old workers finish their connections). The mounted config is
# its start-up fallback. See tools/images/proxy-entrypoint.sh and apps/proxy-agent/README.md.
#
# The agent comes from the switchyard/proxy-agent image (node + /opt/switchyard); build it first
# (tools/images/build.sh does). BASE_IMAGE must be glibc-based (Debian), as the node binary is.
#
#   Real world (pulls the stock image):  docker build -f proxy-nginx.Dockerfile .
#   Offline (see build.sh):              --build-arg BASE_IMAGE=switchyard/base:bookworm
#                                        --build-arg AGENT_IMAGE=switchyard/proxy-agent:<hash>
ARG BASE_IMAGE=nginx:1.27
ARG AGENT_IMAGE=switchyard/proxy-agent:latest
FROM ${AGENT_IMAGE} AS agent

FROM ${BASE_IMAGE}
# Logs go to the container's stdout/stderr (the stock image already does this; Debian's does not).
# /run/switchyard holds the agent's configuration generations and the `live` symlink.
RUN mkdir -p /var/log/nginx /var/cache/nginx /etc/nginx/switchyard.d /run/switchyard \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log
COPY --from=agent /usr/local/bin/node /usr/local/bin/node
COPY --from=agent /opt/switchyard /opt/switchyard
COPY proxy-entrypoint.sh /usr/local/bin/switchyard-proxy-entrypoint
ENV SWITCHYARD_PROXY_KIND=nginx

EXPOSE 80 443
# SIGQUIT = graceful shutdown (finish in-flight requests), Interlock's ProxyStopSignal default. In
# hitless mode the agent forwards it to nginx.
STOPSIGNAL SIGQUIT
ENTRYPOINT ["/bin/sh", "/usr/local/bin/switchyard-proxy-entrypoint"]
CMD ["nginx", "-g", "daemon off;", "-c", "/etc/nginx/nginx.conf"]
