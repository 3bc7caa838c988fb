# The sandbox service (src/sandbox-service) as a container image: the Cloudflare Container that
# `npm run deploy` ships (wrangler.toml [[containers]]), or any Docker host. Node 24, git and
# bubblewrap (for SANDBOX_BACKEND=local), production dependencies only, one bundled entry file.

# Both stages run scripts/build-service.mjs, as test/sandbox-service/image.test.ts does, so the
# image and its test build the same way.

# Build stage: all dependencies, to bundle our TypeScript (packages stay external).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY scripts/build-service.mjs ./scripts/
COPY src/protocol ./src/protocol
COPY src/sandbox-service ./src/sandbox-service
RUN node scripts/build-service.mjs bundle

# Runtime stage: git and bubblewrap, production dependencies, the bundle; runs as the `node` user.
FROM node:24-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git bubblewrap ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8788 SANDBOX_BACKEND=modal
COPY package.json package-lock.json ./
COPY scripts/build-service.mjs ./scripts/
RUN node scripts/build-service.mjs install && npm cache clean --force && rm -r scripts
COPY --from=build /app/dist/sandbox-service.mjs ./dist/sandbox-service.mjs
USER node
EXPOSE 8788
# SIGTERM reaches node directly (exec form): the service stops and keeps its sandboxes for the next one.
CMD ["node", "dist/sandbox-service.mjs"]
