# Switchyard application images (switchyard/core, switchyard/extension): one Dockerfile, APP picks
# the entrypoint. The build context is the staged production tree made by build.sh: root
# package.json + package-lock.json, each workspace's package.json and dist/, and node_modules from
# `npm ci --omit=dev` (workspace symlinks point at the staged packages).
#
#   Real world:  docker build -f app.Dockerfile --build-arg APP=core <staged dir>
#   Offline:     --build-arg BASE_IMAGE=switchyard/node-base:20
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
ARG APP=core
ENV NODE_ENV=production \
    SWITCHYARD_APP=${APP}
WORKDIR /opt/switchyard
COPY . .
RUN test -f "apps/${APP}/dist/main.js"
# Runs `node apps/<APP>/dist/main.js`; arguments given to `docker run`/`docker service create` are
# passed on to it.
ENTRYPOINT ["/bin/sh", "-c", "exec node \"apps/${SWITCHYARD_APP}/dist/main.js\" \"$@\"", "--"]
CMD []
