#!/bin/sh
# precompress.sh DIR: a .gz next to every compressible text file over 1 KiB, for servers that send
# `file.gz` with Content-Encoding: gzip (busybox httpd, nginx's gzip_static). Compressed from stdin
# so the archive holds no name and no time: the droplet stays reproducible.
set -eu
find "$1" -type f -size +1k \( -name '*.html' -o -name '*.htm' -o -name '*.css' -o -name '*.js' -o -name '*.mjs' \
  -o -name '*.json' -o -name '*.svg' -o -name '*.txt' -o -name '*.xml' -o -name '*.map' \) | {
  n=0
  while IFS= read -r f; do
    [ -e "$f.gz" ] && continue
    gzip -9 -c <"$f" >"$f.gz"
    n=$((n + 1))
  done
  echo "       Pre-compressed $n file(s) with gzip"
}
