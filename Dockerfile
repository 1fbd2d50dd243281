# syntax=docker/dockerfile:1

# Build: install everything, compile, then drop the development dependencies.
FROM node:24-bookworm-slim AS build
# argon2 (password hashing) is a native addon compiled at install.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY apps apps
COPY libs libs
COPY migrations migrations
RUN npm run build && npm prune --omit=dev

# Run: compiled code and production dependencies only, as the unprivileged node user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
# package.json carries the "#chorus/*" import map the compiled code resolves through.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Only used by the embedded database, when DATABASE_URL is unset.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# As `npm run start:prod`: a young generation of 16 MiB, where V8 would grow it to 64 MiB and an
# idle server would keep it (about 100 MiB of resident memory after load, at no cost in throughput).
CMD ["node", "--max-semi-space-size=16", "dist/apps/api/src/main.js"]
