# Semver ranges as npm reads them (x-ranges, ^, ~, comparators, hyphen ranges, ||), enough to pick
# a Node.js or npm version inside a staging container that has no node yet. Prereleases are skipped.
#
# Input: one candidate a line, "version<TAB>field2<TAB>…". Prints the line of the highest version
# that satisfies -v range=R and, when -v node=V and -v engines=N are given, whose field N (an
# engines.node range, empty = any) is satisfied by V. Exit 1 when the range does not parse,
# exit 2 when nothing satisfies.

function key(ma, mi, pa) { return sprintf("k%09d%09d%09d", ma, mi, pa) }

# Parse a full version ("1.2.3", "v1.2.3") into VKEY; 0 for prereleases and non-versions.
function version_key(v) {
  sub(/^[v=]+/, "", v)
  sub(/\+.*$/, "", v)
  if (v !~ /^[0-9]+\.[0-9]+\.[0-9]+$/) return 0
  split(v, p, ".")
  VKEY = key(p[1], p[2], p[3])
  return 1
}

# Parse a partial version ("1", "1.2", "1.x", "*", "1.2.3-rc.1") into PM PN PP and PCOUNT
# (how many leading numbers were given); 0 when it is not a version.
function partial(s,    n, i, parts) {
  sub(/^[v=]+/, "", s)
  sub(/\+.*$/, "", s)
  sub(/-.*$/, "", s)
  PM = 0; PN = 0; PP = 0; PCOUNT = 0
  if (s == "" || s ~ /^[xX*]$/) return 1
  n = split(s, parts, ".")
  if (n > 3) return 0
  for (i = 1; i <= n; i++) {
    if (parts[i] ~ /^[xX*]$/) break
    if (parts[i] !~ /^[0-9]+$/) return 0
    PCOUNT++
    if (i == 1) PM = parts[i] + 0
    else if (i == 2) PN = parts[i] + 0
    else PP = parts[i] + 0
  }
  for (; i <= n; i++) if (parts[i] !~ /^[xX*]$/) return 0
  return 1
}

# The first key above every version the partial (PCOUNT numbers given) matches.
function next_key() {
  if (PCOUNT == 1) return key(PM + 1, 0, 0)
  if (PCOUNT == 2) return key(PM, PN + 1, 0)
  return key(PM, PN, PP + 1)
}

# Does version key v satisfy one comparator? -1 when the comparator does not parse.
function comparator(v, c,    op, lo, hi) {
  op = ""
  if (match(c, /^(>=|<=|>|<|=|~|\^)/)) { op = substr(c, 1, RLENGTH); c = substr(c, RLENGTH + 1) }
  if (!partial(c)) return -1
  if (PCOUNT == 0) return (op == "<" || op == ">") ? 0 : 1
  lo = key(PM, PN, PP)
  if (op == ">=") return v >= lo
  if (op == ">") return PCOUNT == 3 ? v > lo : v >= next_key()
  if (op == "<") return v < lo
  if (op == "<=") return PCOUNT == 3 ? v <= lo : v < next_key()
  if (op == "~") hi = PCOUNT == 1 ? key(PM + 1, 0, 0) : key(PM, PN + 1, 0)
  else if (op == "^") {
    if (PM > 0 || PCOUNT == 1) hi = key(PM + 1, 0, 0)
    else if (PN > 0 || PCOUNT == 2) hi = key(0, PN + 1, 0)
    else hi = key(0, 0, PP + 1)
  } else hi = next_key()
  return v >= lo && v < hi
}

# Does version key v satisfy the whole range? -1 when the range does not parse.
function satisfies(v, range,    sets, nsets, i, set, comps, ncomps, j, r, ok, lo, hi) {
  gsub(/[ \t]+/, " ", range)
  nsets = split(range, sets, /\|\|/)
  if (nsets == 0) { nsets = 1; sets[1] = "" }
  for (i = 1; i <= nsets; i++) {
    set = sets[i]
    sub(/^ +/, "", set); sub(/ +$/, "", set)
    gsub(/~>/, "~", set)
    if (match(set, /^[^ ]+ - [^ ]+$/)) {
      split(set, comps, " - ")
      lo = comps[1]; hi = comps[2]
      if (!partial(hi)) return -1
      set = ">=" lo " <=" hi
    }
    gsub(/>= +/, ">=", set); gsub(/<= +/, "<=", set); gsub(/> +/, ">", set); gsub(/< +/, "<", set)
    gsub(/= +/, "=", set); gsub(/~ +/, "~", set); gsub(/\^ +/, "^", set)
    ncomps = split(set, comps, " ")
    ok = 1
    for (j = 1; j <= ncomps; j++) {
      r = comparator(v, comps[j])
      if (r < 0) return -1
      if (!r) ok = 0
    }
    if (ok) return 1
  }
  return 0
}

BEGIN {
  FS = "\t"
  if (satisfies(key(0, 0, 0), range) < 0) { print "invalid semver range: " range > "/dev/stderr"; failed = 1; exit }
  if (node != "" && !version_key(node)) { print "invalid version: " node > "/dev/stderr"; failed = 1; exit }
  NODEKEY = VKEY
  best = ""
}

{
  if (!version_key($1)) next
  if (satisfies(VKEY, range) != 1) next
  if (engines && $engines != "" && satisfies(NODEKEY, $engines) != 1) next
  if (best == "" || VKEY > best) { best = VKEY; line = $0 }
}

END {
  if (failed) exit 1
  if (best == "") exit 2
  print line
}
