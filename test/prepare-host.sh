#!/usr/bin/env bash
# Everything `npm test` needs on a fresh Debian 12 machine, installed by the
# project itself: Node dependencies, and Debian packages: systemd-nspawn boots
# the systemd sandbox; runc is what --engine podgen units execute (so
# systemd-analyze verify needs it); docker-registry is the real registry the
# image tests pull from, htpasswd (apache2-utils) makes its password file,
# busybox-static and zstd build the test images offline; podman writes the
# `podman save` tarballs that podgen load must read; libpam-systemd (logind) and
# dbus-user-session give the sandbox lingering and user buses for --user tests;
# uidmap and passt run rootless containers.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/tsc ] || [ ! -x node_modules/.bin/mocha ]; then
  echo "prepare-host: installing Node dependencies (npm ci)"
  npm ci --no-audit --no-fund
fi

need=()
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
[ -x /usr/bin/runc ] || need+=(runc)
command -v busctl >/dev/null 2>&1 || need+=(systemd)
[ -x /usr/bin/dbus-daemon ] || need+=(dbus)
[ -x /usr/bin/docker-registry ] || need+=(docker-registry)
command -v htpasswd >/dev/null 2>&1 || need+=(apache2-utils)
command -v zstd >/dev/null 2>&1 || need+=(zstd)
command -v podman >/dev/null 2>&1 || need+=(podman)
# podman kube play (the exported Kubernetes YAML, in the sandbox) builds its pause image around catatonit.
[ -x /usr/bin/catatonit ] || need+=(catatonit)
command -v setfattr >/dev/null 2>&1 || need+=(attr)
command -v openssl >/dev/null 2>&1 || need+=(openssl)
# The podgen runtime: CNI plugins and iptables for bridge networks, tini for --init, crun for
# Runtime=crun; gcc and
# libc6-dev build the static test helper (test/fixtures/helpers/pgtest.c) and
# podgen-start (native/podgen-start.c), which the tests run.
[ -x /usr/lib/cni/bridge ] || need+=(containernetworking-plugins)
command -v iptables >/dev/null 2>&1 || need+=(iptables)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ -x /usr/bin/tini-static ] || need+=(tini)
[ -x /usr/bin/crun ] || need+=(crun)
command -v gcc >/dev/null 2>&1 || need+=(gcc)
[ -e /usr/include/stdio.h ] || need+=(libc6-dev)
# --user tests: logind (lingering) and a user bus for the user manager, inside the sandbox.
[ -x /lib/systemd/systemd-logind ] || need+=(libpam-systemd)
[ -e /usr/lib/systemd/user/dbus.socket ] || need+=(dbus-user-session)
# Rootless containers (test/runtime/rootless.test.ts): newuidmap/newgidmap map their user
# namespaces, pasta gives them a network.
[ -x /usr/bin/newuidmap ] || need+=(uidmap)
[ -x /usr/bin/pasta ] || need+=(passt)
# The test images copy /bin/busybox into a bare root file system: it must be the static build.
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)

if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "prepare-host: missing ${need[*]} and not root: the real-systemd tests will say they are skipped" >&2
  else
    echo "prepare-host: installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  fi
fi

# A sandbox left mounted by an interrupted earlier run would only waste memory: clean it up.
for d in /var/tmp/podgen-sandbox-*; do
  [ -d "$d" ] || continue
  umount -l "$d/root" 2>/dev/null || true
  umount -l "$d/tmpfs" 2>/dev/null || true
  rm -rf "$d" 2>/dev/null || true
done
