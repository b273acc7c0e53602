# Switchyard's HAProxy proxy image: the stock haproxy binary in the foreground (master-worker mode,
# so SIGUSR2 to PID 1 reloads), nothing of ours inside. The config is mounted at
# /etc/haproxy/haproxy.cfg (a Docker Config written by the extension). A configuration too large for
# one Docker Config is split: its other files are mounted under /etc/haproxy/switchyard.d/
# (backends in part-NNN.cfg, lookup tables in *.map). HAProxy has no include directive, so the
# command loads that directory with a second -f (only its *.cfg files, in lexical order); the
# directory ships empty, which HAProxy accepts.
#
#   Real world (pulls the stock image):  docker build -f proxy-haproxy.Dockerfile .
#   Offline (see build.sh):              --build-arg BASE_IMAGE=switchyard/base:bookworm
ARG BASE_IMAGE=haproxy:2.8
FROM ${BASE_IMAGE}

# Runs as root so ports below 1024 bind on any engine; haproxy drops privileges itself when the
# config's global section says `user`/`group`. /run/haproxy holds Debian's default stats socket.
USER root
RUN mkdir -p /run/haproxy /var/lib/haproxy /etc/haproxy/switchyard.d

EXPOSE 80 443
# SIGUSR1 = soft stop (stop listening, finish open connections).
STOPSIGNAL SIGUSR1
ENTRYPOINT []
CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg", "-f", "/etc/haproxy/switchyard.d"]
