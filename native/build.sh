#!/usr/bin/env bash
# Builds native/*.c into build/native/podgen-unit (npm install and npm test run this): the
# small program systemd runs from podgen-engine units (start, restart back-off, stop, the
# restart policy's hooks, Node-free cleanup). Without a C compiler podgen works as well, but
# its units start runc containers ~10 ms slower and restart policies fall back to systemd's
# fixed 100 ms delay (docs/restart-policies.md): that is a note, not a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/native/podgen-unit
rm -f build/native/podgen-start # the program's name before it grew the restart hooks
cc=$(command -v cc || command -v gcc || true)
if [ -z "$cc" ]; then
  echo "podgen: no C compiler (cc/gcc), so podgen-unit is not built: units start runc containers with an ExecStartPost instead, and restart policies use systemd's fixed delay (apt-get install gcc libc6-dev, then npm install, for both)" >&2
  rm -f "$out"
  exit 0
fi
mkdir -p build/native
# Static when libc.a is there (libc6-dev): each exec is ~0.5 ms quicker (no dynamic loader), and
# a restart runs it several times; a waiting back-off holds ~0.8 MiB RSS instead of ~1.5 MiB.
flags=(-O2 -Wall -Wextra -Werror -std=gnu11)
if "$cc" "${flags[@]}" -static -o "$out.tmp" native/*.c 2>/dev/null || "$cc" "${flags[@]}" -o "$out.tmp" native/*.c; then
  mv -f "$out.tmp" "$out"
else
  echo "podgen: building podgen-unit failed (above): units start runc containers with an ExecStartPost instead, and restart policies use systemd's fixed delay" >&2
  rm -f "$out.tmp" "$out"
fi
exit 0
