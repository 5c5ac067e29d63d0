#!/usr/bin/env bash
# Build the images the container suites and docker-compose use, without any
# registry:
#   1. oauth-gameday-base:local — the host's node binary, the shared libraries
#      `ldd` lists, CA certificates and a static busybox, `docker import`ed;
#   2. oauth-gameday:local      — the project's Dockerfile on top of it.
# Idempotent and fast on rerun: the base is rebuilt only when its inputs change
# (their hash is stored as an image label), the project image uses the build cache.
set -euo pipefail

cd "$(dirname "$0")/../.."

base_tag="${BASE_IMAGE_TAG:-oauth-gameday-base:local}"
image_tag="${OAUTH_GAMEDAY_IMAGE:-oauth-gameday:local}"
node_bin="$(readlink -f "$(command -v node)")"
busybox_bin="$(command -v busybox || true)"

is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
if [ -z "$busybox_bin" ] || ! is_static "$busybox_bin"; then
  if is_static /bin/busybox; then
    busybox_bin=/bin/busybox
  else
    echo "build-images: installing busybox-static (a shell for HEALTHCHECK and debugging)"
    if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
    $sudo apt-get install -y -qq busybox-static >/dev/null 2>&1 || { $sudo apt-get update -qq && $sudo apt-get install -y -qq busybox-static; }
    busybox_bin=/bin/busybox
  fi
fi

libs="$(ldd "$node_bin" | awk '/=>/ { print $3 } /^[ \t]*\/[^ ]+ \(/ { print $1 }' | sort -u)"
# The inputs that define the base image; any change triggers a rebuild.
base_hash="$(
  {
    sha256sum "$node_bin" "$busybox_bin"
    for lib in $libs; do sha256sum "$(readlink -f "$lib")"; done
    echo "layout-v2"
  } | sha256sum | cut -c1-16
)"

current_hash="$(docker image inspect "$base_tag" --format '{{ index .Config.Labels "org.oauth-gameday.base-hash" }}' 2>/dev/null || true)"
if [ "$current_hash" = "$base_hash" ]; then
  echo "build-images: $base_tag is current ($base_hash)"
else
  echo "build-images: building $base_tag from $node_bin ($("$node_bin" --version))"
  root="$(mktemp -d)"
  chmod 755 "$root"  # mktemp makes it 0700: the image root must be traversable by the service user
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root"/{bin,usr/local/bin,etc/ssl,tmp,app,home/node,lib64}
  chmod 1777 "$root/tmp"
  cp "$node_bin" "$root/usr/local/bin/node"
  ln -s /usr/local/bin/node "$root/bin/node"
  for lib in $libs; do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
  cp "$busybox_bin" "$root/bin/busybox"
  for applet in $("$busybox_bin" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  if [ -d /etc/ssl/certs ]; then cp -rL /etc/ssl/certs "$root/etc/ssl/certs"; fi
  printf 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  chown 1000:1000 "$root/home/node" "$root/app"
  tar -C "$root" -c . | docker import \
    --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
    --change 'ENV NODE_VERSION='"$("$node_bin" --version | tr -d v)" \
    --change 'LABEL org.oauth-gameday.base-hash='"$base_hash" \
    --change 'CMD ["node"]' \
    - "$base_tag" >/dev/null
  rm -rf "$root"
  trap - EXIT
  echo "build-images: $base_tag built ($base_hash)"
fi

if [ ! -f dist/cli.js ]; then
  echo "build-images: dist/ is not built; run 'npm run build' first" >&2
  exit 1
fi

# The build context is what a user would install: `npm pack` of this tree,
# installed with its production dependencies into a staging folder (a global
# install under --prefix never installs dev dependencies). The package folder
# itself, with its node_modules inside, is the context.
stage="${IMAGE_CONTEXT_DIR:-${TMPDIR:-/tmp}/oauth-gameday-image-context}"
rm -rf "$stage"
mkdir -p "$stage/pack"
tarball="$stage/pack/$(npm pack --ignore-scripts --silent --pack-destination "$stage/pack" | tail -n 1)"
npm install --global --prefix "$stage/prefix" --omit=dev --no-audit --no-fund --prefer-offline --ignore-scripts "$tarball" >/dev/null
context="$stage/prefix/lib/node_modules/oauth-gameday"
if [ ! -f "$context/dist/cli.js" ]; then
  echo "build-images: the installed package has no dist/cli.js ($context)" >&2
  exit 1
fi
echo "build-images: staged $(basename "$tarball") ($(du -sh "$context" | cut -f1) installed)"

echo "build-images: building $image_tag"
start=$SECONDS
build_log="$(mktemp)"
if ! docker build --build-arg BASE_IMAGE="$base_tag" -f Dockerfile -t "$image_tag" "$context" >"$build_log" 2>&1; then
  echo "build-images: docker build failed:" >&2
  tail -n 40 "$build_log" >&2
  rm -f "$build_log"
  rm -rf "$stage"
  exit 1
fi
rm -f "$build_log"
rm -rf "$stage"
# Superseded builds leave dangling images; on vfs each costs its full size on disk.
docker image prune -f >/dev/null 2>&1 || true
echo "build-images: $image_tag ready in $((SECONDS - start))s ($(docker image inspect "$image_tag" --format '{{.Size}}' | awk '{ printf "%.0f MB", $1 / 1e6 }'))"
