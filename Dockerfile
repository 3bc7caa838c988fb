# The sandbox service (src/sandbox-service) as a container image: the Cloudflare Container that
# `npm run deploy` ships (wrangler.toml [[containers]]), or any Docker host. Node 24, git and
# bubblewrap (for SANDBOX_BACKEND=local), production dependencies only, one bundled entry file.

# Build stage: all dependencies, to bundle our TypeScript (packages stay external).
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src/protocol ./src/protocol
COPY src/sandbox-service ./src/sandbox-service
RUN npx esbuild src/sandbox-service/server.ts --bundle --platform=node --format=esm \
      --target=node24 --packages=external --outfile=dist/sandbox-service.mjs

# Runtime stage: git and bubblewrap, production dependencies, the bundle; runs as the `node` user.
FROM node:24-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends git bubblewrap ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8788 SANDBOX_BACKEND=modal
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist/sandbox-service.mjs ./dist/sandbox-service.mjs
USER node
EXPOSE 8788
# SIGTERM reaches node directly (exec form): the service stops and keeps its sandboxes for the next one.
CMD ["node", "dist/sandbox-service.mjs"]
