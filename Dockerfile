# AIDE relay container: build the bundle with the full toolchain, ship only dist/server.js and the
# production dependencies, run as the unprivileged `node` user.
#   docker build -t aide-relay .
#   docker run -p 11435:11435 -e RELAY_TOKENS=… -e OLLAMA_HOST=https://… -v aide-relay:/data aide-relay

FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN node esbuild.mjs relay

FROM node:20-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=11435 \
    RELAY_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist/server.js ./dist/server.js
COPY deploy/docker/healthcheck.mjs ./healthcheck.mjs
# /data holds the first-start token when no RELAY_TOKENS is given (mode 0600, owned by `node`).
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 11435
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["node", "healthcheck.mjs"]
# The relay handles SIGTERM itself (drains in-flight streams), so node runs as PID 1 directly.
# A smaller young generation keeps memory flat under many streams (docs/benchmarks.md).
CMD ["node", "--max-semi-space-size=8", "dist/server.js"]
