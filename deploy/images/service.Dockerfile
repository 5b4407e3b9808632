# syntax=docker/dockerfile:1.7
# The six services in one image; the container's argument picks the service:
#   docker build -f deploy/images/service.Dockerfile -t planner-lifecycle/service:dev .   (from the repository root)
#   docker run --env-file service.env planner-lifecycle/service:dev replay-evaluator
# Node 24 runs the TypeScript sources directly (type stripping), as `./lifecycle` does: nothing is compiled.
# No configuration or credential is baked in: everything comes from the environment at run time.
ARG NODE_IMAGE=node:24-trixie-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# The version in package.json's packageManager (deploy/validate checks they agree).
RUN npm install --global --no-audit --no-fund pnpm@12.4.2
# Only what the services run: manifests first, so the dependency layer is reused while sources change.
COPY package.json pnpm-workspace.yaml pnpm-lock.yaml ./
# The dependency patches pnpm applies (pnpm-workspace.yaml's patchedDependencies; decision 0004).
COPY patches patches
COPY packages packages
COPY services services
COPY schemas schemas
# Production dependencies of the six services and the workspace packages they use; nothing else of the workspace.
RUN pnpm install --frozen-lockfile --prod \
      --filter '@planner/dataset-builder...' --filter '@planner/trainer-dispatcher...' \
      --filter '@planner/registry-sync...' --filter '@planner/replay-evaluator...' \
      --filter '@planner/promotion-gate...' --filter '@planner/experiment-monitor...'

FROM ${NODE_IMAGE} AS service
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    NODE_OPTIONS=--disable-warning=TimeoutNegativeWarning
WORKDIR /app
# Owned by root and not writable by the service user: the code cannot be changed from inside the container.
COPY --from=build /app /app
COPY deploy/images/planner-service /usr/local/bin/planner-service
# The node image's unprivileged user, by number so Kubernetes can check runAsNonRoot.
USER 1000:1000
ENTRYPOINT ["planner-service"]
