# Sourced by the staticfile buildpack's scripts: reads the app's Staticfile, a flat YAML map of
# `key: value` lines (indented lines belong to a nested value and are skipped).

# sf_get BUILD KEY: the value of KEY, unquoted, without a trailing comment; empty when unset.
sf_get() {
  [ -f "$1/Staticfile" ] || return 0
  tr -d '\r' <"$1/Staticfile" | sed -n "s/^$2:[[:space:]]*//p" | head -n 1 |
    sed 's/[[:space:]]#.*$//; s/[[:space:]]*$//; s/^["'\'']//; s/["'\'']$//'
}

# sf_keys BUILD: the top-level keys, one a line.
sf_keys() {
  [ -f "$1/Staticfile" ] || return 0
  sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\):.*/\1/p' "$1/Staticfile"
}

# sf_on BUILD KEY DEFAULT: exit 0 when KEY is switched on (enabled/true/on/yes/visible).
sf_on() {
  v=$(sf_get "$1" "$2" | tr '[:upper:]' '[:lower:]')
  [ -n "$v" ] || v="$3"
  case "$v" in enabled | true | on | yes | visible) return 0 ;; *) return 1 ;; esac
}
