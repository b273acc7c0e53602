# Switchyard's HAProxy proxy image: the stock haproxy binary, plus one small documented helper process.
#
# By default (SWITCHYARD_CORE_ADDRESS unset) nothing of ours runs: the entrypoint execs the CMD, the
# stock haproxy in the foreground (master-worker mode, so SIGUSR2 to PID 1 reloads). The config is
# mounted at /etc/haproxy/haproxy.cfg (a Docker Config written by the extension). A configuration too
# large for one Docker Config is split: its other files are mounted under /etc/haproxy/switchyard.d/
# (backends in part-NNN.cfg, lookup tables in *.map). HAProxy has no include directive, so the
# command loads that directory with a second -f (only its *.cfg files, in lexical order); the
# directory ships empty, which HAProxy accepts.
#
# With SWITCHYARD_CORE_ADDRESS set (hitless mode), the entrypoint runs the proxy agent
# (apps/proxy-agent, Node, under /opt/switchyard): it runs the same haproxy master as its child from
# /run/switchyard/live/, takes each new configuration from core over gRPC, checks it with
# `haproxy -c` and reloads with SIGUSR2 (master-worker seamless reload). The mounted config is its
# start-up fallback. See tools/images/proxy-entrypoint.sh and apps/proxy-agent/README.md.
#
# The agent comes from the switchyard/proxy-agent image (node + /opt/switchyard); build it first
# (tools/images/build.sh does). BASE_IMAGE must be glibc-based (Debian), as the node binary is.
#
#   Real world (pulls the stock image):  docker build -f proxy-haproxy.Dockerfile .
#   Offline (see build.sh):              --build-arg BASE_IMAGE=switchyard/base:bookworm
#                                        --build-arg AGENT_IMAGE=switchyard/proxy-agent:<hash>
ARG BASE_IMAGE=haproxy:2.8
ARG AGENT_IMAGE=switchyard/proxy-agent:latest
FROM ${AGENT_IMAGE} AS agent

FROM ${BASE_IMAGE}
# Runs as root so ports below 1024 bind on any engine; haproxy drops privileges itself when the
# config's global section says `user`/`group`. /run/haproxy holds Debian's default stats socket (and
# the renderer's admin socket); /run/switchyard the agent's configuration generations.
USER root
RUN mkdir -p /run/haproxy /var/lib/haproxy /etc/haproxy/switchyard.d /run/switchyard
COPY --from=agent /usr/local/bin/node /usr/local/bin/node
COPY --from=agent /opt/switchyard /opt/switchyard
COPY proxy-entrypoint.sh /usr/local/bin/switchyard-proxy-entrypoint
ENV SWITCHYARD_PROXY_KIND=haproxy

EXPOSE 80 443
# SIGUSR1 = soft stop (stop listening, finish open connections). In hitless mode the agent forwards it.
STOPSIGNAL SIGUSR1
ENTRYPOINT ["/bin/sh", "/usr/local/bin/switchyard-proxy-entrypoint"]
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg", "-f", "/etc/haproxy/switchyard.d"]
