# Switchyard's HAProxy proxy image: the stock haproxy binary in the foreground (master-worker mode,
# so SIGUSR2 to PID 1 reloads), nothing of ours inside. The config is mounted at
# /etc/haproxy/haproxy.cfg (a Docker Config written by the extension).
#
#   Real world (pulls the stock image):  docker build -f proxy-haproxy.Dockerfile .
#   Offline (see build.sh):              --build-arg BASE_IMAGE=switchyard/base:bookworm
ARG BASE_IMAGE=haproxy:2.8
FROM ${BASE_IMAGE}

# Runs as root so ports below 1024 bind on any engine; haproxy drops privileges itself when the
# config's global section says `user`/`group`. /run/haproxy holds Debian's default stats socket.
USER root
RUN mkdir -p /run/haproxy /var/lib/haproxy /etc/haproxy

EXPOSE 80 443
# SIGUSR1 = soft stop (stop listening, finish open connections).
STOPSIGNAL SIGUSR1
ENTRYPOINT []
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]
