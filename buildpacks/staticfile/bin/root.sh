#!/bin/sh
# Prints the directory to serve, relative to the build dir: Staticfile's `root:`, else `public`
# when only public/index.html exists, else `.`.
build="$1"
root=""
if [ -f "$build/Staticfile" ]; then
  root=$(sed -n 's/^root:[[:space:]]*//p' "$build/Staticfile" | head -n 1 | sed 's/[[:space:]]*$//; s/^["'\'']//; s/["'\'']$//')
fi
if [ -z "$root" ]; then
  if [ ! -f "$build/index.html" ] && [ -f "$build/public/index.html" ]; then root=public; else root=.; fi
fi
printf '%s\n' "$root"
