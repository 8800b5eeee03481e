#!/bin/sh
# Build the bookworm stack into TARGET (an empty directory) with debootstrap --variant=minbase
# and the packages in packages.txt. The mirror is the host's own Debian mirror, read from its apt
# sources, so the build uses whatever mirror (or proxy) this machine is set up for.
# Deterministic where Debian allows: fixed ids and dates in the files written here, caches,
# logs and machine ids emptied. Writes the installed packages to $DROPSHIP_PACKAGES (dropship's
# recipe contract, for the SBOM); debootstrap always reads the mirror's current packages, so
# DROPSHIP_STACK_UPDATE needs nothing more here.
set -eu
umask 022
export LC_ALL=C

TARGET=${1:?usage: build.sh TARGET}
HERE=$(cd "$(dirname "$0")" && pwd)
SUITE=bookworm

# The first `deb` source serving exactly this suite, one-line format or deb822 (.sources).
mirror_from_sources() {
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == suite) { print $i; exit } }' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -r "$f" ] || continue
    awk -v suite="$SUITE" '
      function flush() { if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " suite " ") && enabled != "no" && uris != "") { split(uris, u, " "); print u[1]; found = 1 } types = suites = uris = ""; enabled = "" }
      /^[ \t]*$/ { flush(); if (found) exit; next }
      /^#/ { next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, ""); }
      key == "types" { types = $0 } key == "suites" { suites = $0 } key == "uris" { uris = $0 } key == "enabled" { enabled = tolower($0) }
      END { if (!found) flush() }' "$f"
  done
}

MIRROR=${DROPSHIP_DEBIAN_MIRROR:-$(mirror_from_sources | head -n 1)}
if [ -z "$MIRROR" ]; then
  echo "error: no apt source for suite $SUITE in /etc/apt/sources.list or /etc/apt/sources.list.d/" >&2
  echo "hint: add a Debian $SUITE source to apt, or set DROPSHIP_DEBIAN_MIRROR" >&2
  exit 1
fi
INCLUDE=$(grep -v '^#' "$HERE/packages.txt" | grep -v '^$' | paste -sd, -)

echo "debootstrap --variant=minbase $SUITE from $MIRROR"
debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$TARGET" "$MIRROR" >"$TARGET.debootstrap.log" 2>&1 || {
  tail -n 20 "$TARGET.debootstrap.log" >&2
  rm -f "$TARGET.debootstrap.log"
  echo "error: debootstrap failed" >&2
  exit 1
}
rm -f "$TARGET.debootstrap.log"
if [ -n "${DROPSHIP_PACKAGES:-}" ]; then
  dpkg-query --admindir="$TARGET/var/lib/dpkg" -W -f '${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\n' |
    awk -F '\t' '$1 == "installed" { print $2 "\t" $3 "\t" $4 }' >"$DROPSHIP_PACKAGES"
fi

echo "configuring locales (en_US.UTF-8)"
echo 'en_US.UTF-8 UTF-8' >"$TARGET/etc/locale.gen"
chroot "$TARGET" locale-gen >/dev/null
echo 'LANG=en_US.UTF-8' >"$TARGET/etc/default/locale"

echo "adding vcap (2000:2000)"
# Written directly rather than with useradd, which stamps today's date into /etc/shadow.
echo 'vcap:x:2000:2000:vcap:/home/vcap:/bin/bash' >>"$TARGET/etc/passwd"
echo 'vcap:x:2000:' >>"$TARGET/etc/group"
echo 'vcap:*:0:0:99999:7:::' >>"$TARGET/etc/shadow"
echo 'vcap:*::' >>"$TARGET/etc/gshadow"
mkdir -p "$TARGET/home/vcap"
chown 2000:2000 "$TARGET/home/vcap"
chmod 0755 "$TARGET/home/vcap"

echo "stripping caches, logs and host identity"
rm -rf "$TARGET"/var/lib/apt/lists/* "$TARGET"/var/cache/apt/*.bin "$TARGET"/var/cache/apt/archives/*.deb \
  "$TARGET"/var/cache/apt/archives/partial/* "$TARGET"/var/cache/debconf/*-old "$TARGET"/var/lib/dpkg/*-old \
  "$TARGET"/var/cache/ldconfig/aux-cache "$TARGET"/var/lib/dbus/machine-id "$TARGET"/tmp/* "$TARGET"/var/tmp/* \
  "$TARGET"/usr/share/man/* "$TARGET"/usr/share/info/*
# Message translations are 40 MB nobody reads in a container; copyright notices stay.
find "$TARGET/usr/share/locale" -mindepth 1 -maxdepth 1 -type d -exec rm -rf {} +
find "$TARGET/usr/share/doc" -type f ! -name copyright -delete
find "$TARGET/var/log" -type f -exec truncate -s 0 {} +
: >"$TARGET/etc/machine-id"
# Fixed dates in the shadow files (field 3: days since the last password change).
sed -i -E 's/^([^:]*:[^:]*:)[0-9]+:/\10:/' "$TARGET/etc/shadow"
# debootstrap copies the host's; containers get theirs from dropship.
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$TARGET/etc/hosts"
echo '# Replaced by dropship when a container gets a network.' >"$TARGET/etc/resolv.conf"
echo 'localhost' >"$TARGET/etc/hostname"
echo "bookworm rootfs ready: $(du -sm "$TARGET" | cut -f1) MB"
