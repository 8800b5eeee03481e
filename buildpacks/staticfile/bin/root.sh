#!/bin/sh
# Prints the directory to serve, relative to the build dir: Staticfile's `root:`, else `public`
# when only public/index.html exists, else `.`.
set -eu
build="$1"
. "$(dirname "$0")/options.sh"
root=$(sf_get "$build" root)
if [ -z "$root" ]; then
  if [ ! -f "$build/index.html" ] && [ -f "$build/public/index.html" ]; then root=public; else root=.; fi
fi
printf '%s\n' "$root"
