#!/usr/bin/env bash
# Install what dropship needs on Debian 12 (as root): the container runtime, OCI tools,
# stack builders, networking tools, then the npm packages (which also builds dist/).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "error: setup needs root (it installs Debian packages)" >&2
  echo "hint: run it as root, e.g. sudo bash scripts/setup.sh" >&2
  exit 1
fi

packages=(runc crun conmon tini umoci skopeo docker-registry debootstrap busybox-static bash-static
  iptables iproute2 apparmor attr e2fsprogs util-linux pigz xfsprogs curl ca-certificates
  podman catatonit wrk git unzip gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> npm ci"
npm ci --no-audit --no-fund --foreground-scripts
