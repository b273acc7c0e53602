# Switchyard's nginx proxy image: the stock nginx binary in the foreground, nothing of ours inside.
# The config is mounted at /etc/nginx/nginx.conf (a Docker Config written by the extension). A
# configuration too large for one Docker Config is split: nginx.conf includes
# switchyard.d/*.conf (relative to its own directory) and those parts are mounted under
# /etc/nginx/switchyard.d/. The directory ships empty; an include glob matching nothing is fine.
#
#   Real world (pulls the stock image):  docker build -f proxy-nginx.Dockerfile .
#   Offline (see build.sh):              --build-arg BASE_IMAGE=switchyard/base:bookworm
ARG BASE_IMAGE=nginx:1.27
FROM ${BASE_IMAGE}

# Logs go to the container's stdout/stderr (the stock image already does this; Debian's does not).
RUN mkdir -p /var/log/nginx /var/cache/nginx /etc/nginx/switchyard.d \
 && ln -sf /dev/stdout /var/log/nginx/access.log \
 && ln -sf /dev/stderr /var/log/nginx/error.log

EXPOSE 80 443
# SIGQUIT = graceful shutdown (finish in-flight requests), Interlock's ProxyStopSignal default.
STOPSIGNAL SIGQUIT
ENTRYPOINT []
CMD ["nginx", "-g", "daemon off;", "-c", "/etc/nginx/nginx.conf"]
