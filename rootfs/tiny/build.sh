#!/bin/sh
# Build the tiny stack into TARGET (an empty directory): static busybox and bash from Debian's
# packages, fetched with apt-get download and unpacked with dpkg-deb (never copied from the
# host's /bin, whose binaries need the host's libraries), plus the files under files/.
# Same packages in, same tree out: no timestamps, host names or random ids are written.
# dropship's recipe contract: write the packages used, one `name<TAB>version<TAB>arch` line each,
# to $DROPSHIP_PACKAGES (for the SBOM); with DROPSHIP_STACK_UPDATE=1, refresh the package lists
# first (`dropship stack update`).
set -eu
umask 022
export LC_ALL=C

TARGET=${1:?usage: build.sh TARGET}
HERE=$(cd "$(dirname "$0")" && pwd)
PACKAGES="busybox-static bash-static ca-certificates"

work=$(mktemp -d "${TMPDIR:-/tmp}/dropship-tiny.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/debs" "$work/x"
# apt's _apt user must be able to write the download directory.
chmod 0777 "$work/debs"

if [ "${DROPSHIP_STACK_UPDATE:-}" = 1 ]; then
  echo "apt-get update: the mirror's current packages"
  apt-get update -q >"$work/apt.log" 2>&1 || {
    tail -n 20 "$work/apt.log" >&2
    echo "error: apt-get update failed" >&2
    exit 1
  }
fi

echo "downloading $PACKAGES"
if ! (cd "$work/debs" && apt-get download -q $PACKAGES >"$work/apt.log" 2>&1); then
  echo "package lists missing or stale: apt-get update"
  apt-get update -q >/dev/null
  (cd "$work/debs" && apt-get download -q $PACKAGES) || {
    echo "error: apt-get download $PACKAGES failed" >&2
    exit 1
  }
fi
for deb in "$work"/debs/*.deb; do
  echo "unpacking $(basename "$deb")"
  dpkg-deb -x "$deb" "$work/x"
  dpkg-deb --show --showformat='${Package}\t${Version}\t${Architecture}\n' "$deb" >>"$work/packages.tsv"
done
if [ -n "${DROPSHIP_PACKAGES:-}" ]; then cp "$work/packages.tsv" "$DROPSHIP_PACKAGES"; fi

echo "assembling the rootfs"
cd "$TARGET"
mkdir -p bin sbin usr/bin usr/sbin etc/ssl/certs home/vcap root tmp var/tmp proc sys dev run
chmod 0700 root
chmod 1777 tmp var/tmp

cp "$work/x/bin/busybox" bin/busybox
cp "$work/x/bin/bash-static" bin/bash
chmod 0755 bin/busybox bin/bash
for applet in $(bin/busybox --list); do
  case "$applet" in
    busybox | bash) ;;
    *) ln -s busybox "bin/$applet" ;;
  esac
done
# Scripts say `#!/usr/bin/env bash`; buildpacks need it at exactly that path.
ln -s ../../bin/busybox usr/bin/env

# The CA bundle the way update-ca-certificates builds it, from the package's certificates.
find "$work/x/usr/share/ca-certificates" -name '*.crt' | sort | while read -r crt; do
  cat "$crt"
done >etc/ssl/certs/ca-certificates.crt
ln -s certs/ca-certificates.crt etc/ssl/cert.pem

cp -R "$HERE/files/." .
chmod 0644 etc/passwd etc/group etc/hosts etc/resolv.conf etc/nsswitch.conf etc/shells
chown 2000:2000 home/vcap
echo "tiny rootfs ready: $(find . | wc -l) entries"
