# Switchyard application images (switchyard/core, switchyard/extension, switchyard/proxy-agent, and
# the example switchyard/example-caddy-extension): one Dockerfile, APP (or APP_DIR) picks the entrypoint. The build context is the staged production tree made by build.sh: root
# package.json + package-lock.json, each workspace's package.json and dist/, and node_modules from
# `npm ci --omit=dev` (workspace symlinks point at the staged packages).
#
#   Real world:  docker build -f app.Dockerfile --build-arg APP=core <staged dir>
#   Offline:     --build-arg BASE_IMAGE=switchyard/node-base:22
ARG BASE_IMAGE=node:22-bookworm-slim
FROM ${BASE_IMAGE}
ARG APP=core
# The workspace whose dist/main.js runs: apps/<APP>, or another one (examples/caddy).
ARG APP_DIR=apps/${APP}
ENV NODE_ENV=production \
    SWITCHYARD_APP_DIR=${APP_DIR}
WORKDIR /opt/switchyard
COPY . .
RUN test -f "${APP_DIR}/dist/main.js"
# Runs `node <APP_DIR>/dist/main.js`; arguments given to `docker run`/`docker service create` are
# passed on to it.
ENTRYPOINT ["/bin/sh", "-c", "exec node \"${SWITCHYARD_APP_DIR}/dist/main.js\" \"$@\"", "--"]
CMD []
