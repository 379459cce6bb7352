#!/usr/bin/env bash
# Builds native/podgen-start.c into build/native/podgen-start (npm install and npm test run
# this). Without a C compiler podgen works as well, its runc units just start ~10 ms slower
# (create + ExecStartPost instead of one exec): that is a note, not a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
out=build/native/podgen-start
cc=$(command -v cc || command -v gcc || true)
if [ -z "$cc" ]; then
  echo "podgen: no C compiler (cc/gcc), so podgen-start is not built; units start runc containers with an ExecStartPost instead (apt-get install gcc libc6-dev, then npm install, for the faster start)" >&2
  rm -f "$out"
  exit 0
fi
mkdir -p build/native
if "$cc" -O2 -Wall -Wextra -Werror -o "$out.tmp" native/podgen-start.c; then
  mv -f "$out.tmp" "$out"
else
  echo "podgen: building podgen-start failed (above); units start runc containers with an ExecStartPost instead" >&2
  rm -f "$out.tmp" "$out"
fi
exit 0
