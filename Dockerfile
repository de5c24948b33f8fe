# syntax=docker/dockerfile:1
# Build stage: compiles TypeScript and builds better-sqlite3 from source.
FROM node:24-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY schemas ./schemas
RUN npm ci && npm prune --omit=dev

# Runtime stage: no compilers, non-root, data on a volume.
FROM node:24-bookworm-slim
ENV NODE_ENV=production DCC_GATEWAY_STORE_PATH=/data DCC_GATEWAY_SERVER_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY schemas ./schemas
COPY examples ./examples
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness only (/healthz); /readyz turns 503 while draining on SIGTERM, which is not "unhealthy".
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.DCC_GATEWAY_SERVER_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# serve drains on SIGTERM (readyz 503, in-flight requests finished, last commit flushed) and exits 0
# within server.shutdownGraceMs; SIGHUP reloads the registry. Give `docker stop -t` more than that.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["serve"]
