# syntax=docker/dockerfile:1.7
# Foresight image: one binary (`foresight`), run as `foresight detector`, `foresight controller`, …
#
# build:   dev dependencies, compile TypeScript (and the dashboard bundle)
# runtime: production dependencies only, non-root, nothing written to the root filesystem
#
# Both stages use an exact Node LTS version so rebuilds are reproducible.
ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
# onnxruntime-node's install script would download CUDA libraries; the CPU build ships in the package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY crds ./crds
RUN npm run build

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
LABEL org.opencontainers.image.title="foresight" \
      org.opencontainers.image.description="Preemptive network security operator for Kubernetes"
WORKDIR /app
ENV NODE_ENV=production \
    FORESIGHT_LOG_FORMAT=json
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --from=build /src/crds ./crds
COPY package.json ./
# The node image's unprivileged user; the chart also sets runAsNonRoot and a read-only root filesystem.
USER 1000:1000
EXPOSE 9464 8080
# exec form: no shell at run time, signals reach node directly (SIGTERM drains).
ENTRYPOINT ["node", "/app/dist/src/cli.js"]
CMD ["--help"]
