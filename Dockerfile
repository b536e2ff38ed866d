# The production image: compiled JavaScript (build/), the console (web/dist), the migrations, and production
# dependencies only, run as the unprivileged `node` user.
#   docker build -t ttn-identity .
#   docker run -e DATABASE_URL=postgresql://… -p 1885:1885 ttn-identity
# See README "Production" for compose, scaling and upgrades.
ARG NODE_IMAGE=node:20-bookworm-slim

# Everything, with dev dependencies: Prisma client, SDK, console and server are built here.
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY . .
# Install scripts run only where needed (argon2's native module, esbuild's binary; Prisma's engine downloads never),
# whatever npm version the image carries; then our own postinstall builds everything.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild argon2 esbuild \
 && npm run postinstall \
 && test -f build/server/main.js && test -f web/dist/index.html

# Production dependencies alone.
FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild argon2 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=1885 DATA_DIR=/data
WORKDIR /app
COPY --from=production-dependencies /app/node_modules node_modules
COPY --from=build /app/package.json ./
COPY --from=build /app/build build
COPY --from=build /app/web/dist web/dist
COPY --from=build /app/prisma/migrations prisma/migrations
# DATA_DIR: the embedded database and file mail, when no DATABASE_URL / SMTP_URL is set.
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 1885
# Liveness only: readiness (/readyz) is the load balancer's business, and a restart would not fix a database outage.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT}/healthz`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly (not npm start): SIGTERM reaches the server, which drains and stops cleanly. The flags are npm start's
# too (package.json): smaller V8 semi-spaces, less resident memory under load (README, "Memory"); one V8 background
# thread, so garbage collection does not take every core from the event loop (README, "Background threads").
CMD ["node", "--max-semi-space-size=8", "--v8-pool-size=1", "build/server/main.js"]
