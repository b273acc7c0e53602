# switchyard/e2e-echo: the e2e backend (echo-server.js, plain Node, no dependencies).
# Offline build (tools/images/build.sh) passes --build-arg BASE_IMAGE=switchyard/node-base:22.
ARG BASE_IMAGE=node:22-bookworm-slim
FROM ${BASE_IMAGE}
COPY echo-server.js /opt/e2e-echo/echo-server.js
ENV PORT=8080
EXPOSE 8080
STOPSIGNAL SIGTERM
ENTRYPOINT []
CMD ["node", "/opt/e2e-echo/echo-server.js"]
