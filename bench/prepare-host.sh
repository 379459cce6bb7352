#!/usr/bin/env bash
# What `npm run bench` needs beyond `npm install`: podman, podman-compose and skopeo (the
# references), docker-registry (the local registry), busybox-static (the
# test image's only binary), runc (bench/runtime.ts), and gcc + libc6-dev for
# podgen-start (the one-exec start the runtime bench measures), uidmap, passt, slirp4netns and
# libpam-systemd + dbus-user-session (the rootless bench: podgen's and podman's), from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x node_modules/.bin/tsc ] || npm ci --no-audit --no-fund
need=()
command -v podman >/dev/null 2>&1 || need+=(podman)
command -v podman-compose >/dev/null 2>&1 || need+=(podman-compose)
command -v skopeo >/dev/null 2>&1 || need+=(skopeo)
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
[ -x /bin/busybox ] || need+=(busybox-static)
[ -x /usr/bin/runc ] || need+=(runc)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
[ -x /usr/bin/newuidmap ] || need+=(uidmap)
[ -x /usr/bin/pasta ] || need+=(passt)
[ -x /usr/bin/slirp4netns ] || need+=(slirp4netns)
[ -x /lib/systemd/systemd-logind ] || need+=(libpam-systemd)
[ -e /usr/lib/systemd/user/dbus.socket ] || need+=(dbus-user-session)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then echo "bench: please install ${need[*]} (needs root)" >&2; exit 1; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
