# The reference services of oauth-gameday (mock-as, mock-rs, the JWKS CDN and
# the fault proxy) in one image; the role is chosen by the command:
#
#   docker run --network host oauth-gameday:local serve as --port 9000
#
# There is no build step (the image runs the TypeScript sources through tsx)
# and the build needs no registry: node_modules comes from the build context.
#
#   npm ci --omit=dev && docker build -t oauth-gameday:local .
#   scripts/ci/build-images.sh   # offline base image + a pruned staging context
#
# BASE_IMAGE must provide `node` (20.19+) on PATH, on the same libc and CPU as
# the host that ran `npm ci` (glibc/x86-64 for the default).
#
# Few instructions on purpose, and no RUN: on storage drivers without
# copy-on-write (vfs, used in CI sandboxes) every step copies and diffs the
# whole file system. The metadata comes first so it stays cached; only the
# final COPY changes with the sources.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
ENV NODE_ENV=production NO_UPDATE_NOTIFIER=1
WORKDIR /app
# Numeric: the offline base image has no useradd and no named users.
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 \
  CMD ["node", "deploy/healthcheck.mjs"]
ENTRYPOINT ["node", "bin/oauth-gameday.mjs"]
CMD ["--help"]
# Owned by root (COPY ignores USER): read-only for the service user.
COPY . /app
