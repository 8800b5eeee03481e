#!/usr/bin/env bash
# The README's quick start: set up this machine, push the sample Node.js app (an HTTP server with
# a dependency from npm) and print its answer. Run it again: packages, the bookworm stack, Node.js
# and the buildpack cache are reused, and the app is replaced in place on the same URL.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh

app=fixtures/apps/node-hello
echo "==> dropship push $app"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
node dist/cli/main.js push "$app" | tee "$out"

url=$(awk '$1 == "url:" { print $2; exit }' "$out")
if [ -z "$url" ]; then
  echo "error: dropship push printed no url" >&2
  exit 1
fi
echo "==> curl $url"
curl -fsS --retry 5 --retry-connrefused --retry-delay 1 "$url"
