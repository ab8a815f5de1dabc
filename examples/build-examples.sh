#!/usr/bin/env bash
# Regenerates the two example OCI layouts with umoci (a tool we did not write), so the README's first command
# has real images to vet offline. The key and token below are freshly made fakes: they grant nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
command -v umoci >/dev/null || { echo "needs umoci (apt-get install -y umoci)" >&2; exit 2; }

make_base() { # $1 layout dir
  rm -rf "$1"
  umoci init --layout "$1"
  umoci new --image "$1:latest"
  umoci unpack --rootless --image "$1:latest" "$work/b"
  mkdir -p "$work/b/rootfs/etc" "$work/b/rootfs/app"
  printf 'root:x:0:0:root:/root:/bin/sh\napp:x:10001:10001:app:/app:/sbin/nologin\n' > "$work/b/rootfs/etc/passwd"
  printf 'root:x:0:\napp:x:10001:\n' > "$work/b/rootfs/etc/group"
  printf '#!/bin/sh\necho "hello from imgvet examples"\n' > "$work/b/rootfs/app/hello.sh"
  chmod 755 "$work/b/rootfs/app/hello.sh"
}

# vulnerable: root user, a private key that is still there, and registry credentials deleted in a later layer.
make_base "$work/vulnerable"
mkdir -p "$work/b/rootfs/app/config" "$work/b/rootfs/root/.docker"
openssl genrsa -out "$work/b/rootfs/app/config/server.key" 2048 2>/dev/null
printf '{"auths":{"registry.example.com":{"auth":"%s"}}}\n' "$(printf 'deploy:%s' "$(openssl rand -hex 16)" | base64 -w0)" > "$work/b/rootfs/root/.docker/config.json"
umoci repack --image "$work/vulnerable:latest" "$work/b"
umoci unpack --rootless --image "$work/vulnerable:latest" "$work/c"
rm -rf "$work/c/rootfs/root/.docker"
umoci repack --image "$work/vulnerable:latest" "$work/c"
umoci config --image "$work/vulnerable:latest" --config.exposedports 22/tcp --config.exposedports 8080/tcp \
  --config.cmd /app/hello.sh --config.label org.opencontainers.image.title=vulnerable-example
rm -rf "$work/b" "$work/c"

# clean: non-root user, nothing secret, a health check is not expressible in umoci, so it stays info.
make_base "$work/clean"
umoci repack --image "$work/clean:latest" "$work/b"
umoci config --image "$work/clean:latest" --config.user 10001:10001 --config.exposedports 8080/tcp \
  --config.cmd /app/hello.sh --config.label org.opencontainers.image.title=clean-example \
  --config.label owner=platform-team --config.label sensitivity=internal
rm -rf "$work/b"

for n in vulnerable clean; do
  umoci gc --layout "$work/$n"
  rm -rf "$here/$n"
  cp -r "$work/$n" "$here/$n"
done
echo "examples rebuilt in $here"
