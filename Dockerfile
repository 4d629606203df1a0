# syntax=docker/dockerfile:1
# One image for every service; APP picks which one a container runs:
#   all-in-one (default), gateway, otp-core, limiter, dispatcher-sms, dispatcher-voice,
#   dispatcher-email, sdr.
# Build from the repository root:  docker build -t smart-2fa:0.1.0 .
# Node 26, the active LTS line, on Debian trixie (the suite also passes on Node 20.19+);
# release pipelines pin it further by digest (--build-arg NODE_IMAGE=node:26-trixie-slim@sha256:…).
ARG NODE_IMAGE=node:26-trixie-slim

# --- build: full dependencies, compile, then drop the development ones -------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
ENV CI=true
COPY package.json package-lock.json ./
# Install scripts are not needed to compile (tsc, tsc-alias) and only build optional native
# helpers of test tooling; skipping them keeps the image free of a compiler toolchain.
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY libs ./libs
COPY apps ./apps
COPY scripts/build-console.js ./scripts/
# The server (tsc) and the console (Vite, into dist/console, served at /console), then only
# the run-time dependencies are kept.
RUN npm run build && npm run build:console && npm prune --omit=dev --ignore-scripts

# --- runtime: compiled code and production dependencies, run as a non-root user ----------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    APP=all-in-one \
    PORT=3000
WORKDIR /app
# Owned by root and not writable by the user the service runs as.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The default price table of the session detail records (SDR_PRICES_FILE points elsewhere).
COPY config ./config
# `node` (uid 1000) ships with the official image.
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# `exec` makes node PID 1, so SIGTERM reaches it and the service shuts down gracefully.
# Other entry points of the same image:
#   node dist/apps/all-in-one/src/migrate.js                       (all migrations, then exit)
#   node dist/apps/gateway/src/cli/accounts.cli.js create --email E (prints the token once)
CMD ["sh", "-c", "exec node dist/apps/$APP/src/main.js"]
