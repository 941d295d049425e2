# syntax=docker/dockerfile:1
# Shepherd's api and worker image. One image, two commands:
#   node bin/shepherd.js api      the webhook API (stateless; scale freely)
#   node bin/shepherd.js worker   workflows and activities (git, forge); scale with more replicas
# Both connect to an existing Temporal cluster (SHEPHERD_TEMPORAL_ADDRESS), so the Temporal CLI
# and the embedded dev server are not needed here. See docker-compose.yml for a full layout.
FROM node:20-slim

# git: the worker rebases and pushes with the git CLI (simple-git). tini: a real init that passes
# SIGTERM on, so `docker stop` lets Shepherd shut down cleanly.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# npm's postinstall (scripts/setup-temporal.js) would fetch the Temporal CLI and test server with
# pip, for the embedded dev server and tests; this image uses an external cluster and has no pip.
ENV NODE_ENV=production \
    SHEPHERD_SKIP_TEMPORAL_SETUP=1 \
    NPM_CONFIG_UPDATE_NOTIFIER=false \
    NPM_CONFIG_FUND=false

# Dependencies first, so code changes do not reinstall them. The postinstall needs scripts/.
# Dev dependencies are left out: Shepherd runs its TypeScript through tsx, a runtime dependency.
COPY package.json package-lock.json ./
COPY scripts/ ./scripts/
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY bin/ ./bin/
COPY src/ ./src/

# Listen on all interfaces inside the container (the default 127.0.0.1 is unreachable from
# outside it). data-dir holds the worker's git clones: a per-worker cache, never state, so it
# needs no volume (and must not be shared between worker replicas).
ENV SHEPHERD_API_HOST=0.0.0.0 \
    SHEPHERD_API_PORT=3000 \
    SHEPHERD_DATA_DIR=/var/lib/shepherd
RUN mkdir -p /var/lib/shepherd && chown node:node /var/lib/shepherd

USER node
EXPOSE 3000

# -g: signals go to the whole process group (bin/shepherd.js runs Shepherd in a child process).
ENTRYPOINT ["/usr/bin/tini", "-g", "--"]
CMD ["node", "bin/shepherd.js", "api"]
