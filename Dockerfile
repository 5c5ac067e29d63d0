# The reference services of oauth-gameday (mock-as, mock-rs, the JWKS CDN and
# the fault proxy) in one image; the role is chosen by the command:
#
#   docker run --network host oauth-gameday:local serve as --port 9000
#
# The image holds what npm ships: the packed tarball installed with its
# production dependencies (`npm install -g --prefix`, so no dev-only package),
# prepared on the host into a staging folder that is the build context. The
# offline base image has no npm, so the Dockerfile only COPYs:
#
#   scripts/ci/build-images.sh   # npm pack, install into a staging folder, docker build
#
# BASE_IMAGE must provide `node` (20.19+) on PATH, on the same libc and CPU as
# the host that installed the tarball (glibc/x86-64 for the default).
#
# Few instructions on purpose, and no RUN: on storage drivers without
# copy-on-write (vfs, used in CI sandboxes) every step copies and diffs the
# whole file system.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}
ENV NODE_ENV=production NO_UPDATE_NOTIFIER=1
WORKDIR /app
# Numeric: the offline base image has no useradd and no named users.
USER 1000:1000
HEALTHCHECK --interval=10s --timeout=4s --start-period=30s --retries=3 \
  CMD ["node", "deploy/healthcheck.mjs"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["--help"]
# The installed package (dist/, scenarios/, deploy/, its node_modules), owned
# by root (COPY ignores USER): read-only for the service user.
COPY . /app
