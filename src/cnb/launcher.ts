import type { ProcessType } from './layer-toml.js';
import { CNB_PATHS } from './layout.js';

/**
 * Reads the fd-3 output of one exec.d program (buildpack.md "Exec.d Output (TOML)": top-level
 * `NAME = "basic string"` pairs, NAME a bare key that is an environment variable name) and
 * writes each value, unescaped, to `dir/NAME`, printing NAME on stdout. Anything else —
 * another TOML type, a raw control character, a bad escape, a key set twice — is an error
 * naming the line, so a program cannot smuggle a second variable or shell text through a value.
 * awk because both stacks have one (busybox, mawk) and sh alone cannot decode \uXXXX.
 */
const EXEC_D_PARSER = String.raw`
function fail(msg) { printf "output line %d: %s\n", NR, msg >"/dev/stderr"; exit 1 }
function hex(h,   i, d, v) {
  v = 0
  for (i = 1; i <= length(h); i++) {
    d = index("0123456789abcdef", tolower(substr(h, i, 1)))
    if (d == 0) return -1
    v = v * 16 + d - 1
  }
  return v
}
function utf8(cp) {
  if (cp < 128) return sprintf("%c", cp)
  if (cp < 2048) return sprintf("%c%c", 192 + int(cp / 64), 128 + cp % 64)
  if (cp < 65536) return sprintf("%c%c%c", 224 + int(cp / 4096), 128 + int(cp / 64) % 64, 128 + cp % 64)
  return sprintf("%c%c%c%c", 240 + int(cp / 262144), 128 + int(cp / 4096) % 64, 128 + int(cp / 64) % 64, 128 + cp % 64)
}
BEGIN { for (k = 1; k < 32; k++) if (k != 9) ctl = ctl sprintf("%c", k); ctl = ctl sprintf("%c", 127) }
{
  line = $0
  sub(/\r$/, "", line)
  sub(/^[ \t]+/, "", line)
  if (line == "" || substr(line, 1, 1) == "#") next
  if (!match(line, /^[A-Za-z0-9_-]+/)) fail("expected NAME = \"value\"")
  name = substr(line, 1, RLENGTH)
  line = substr(line, RLENGTH + 1)
  if (name !~ /^[A-Za-z_][A-Za-z0-9_]*$/) fail(name " is not an environment variable name")
  sub(/^[ \t]+/, "", line)
  if (substr(line, 1, 1) != "=") fail("expected = after " name)
  line = substr(line, 2)
  sub(/^[ \t]+/, "", line)
  if (substr(line, 1, 1) != "\"") fail("the value of " name " is not a basic string \"...\"")
  value = ""; closed = 0; i = 2; n = length(line)
  while (i <= n) {
    c = substr(line, i, 1)
    if (c == "\"") { closed = 1; break }
    if (index(ctl, c)) fail("the value of " name " has a raw control character")
    if (c != "\\") { value = value c; i++; continue }
    e = substr(line, i + 1, 1)
    if (e == "u" || e == "U") {
      len = e == "u" ? 4 : 8
      cp = hex(substr(line, i + 2, len))
      if (length(substr(line, i + 2, len)) != len || cp < 0) fail("bad \\" e " escape in the value of " name)
      if (cp == 0 || (cp >= 55296 && cp <= 57343) || cp > 1114111) fail("\\" e " escape of an invalid character in the value of " name)
      value = value utf8(cp); i += 2 + len; continue
    }
    if (e == "b") value = value "\b"
    else if (e == "t") value = value "\t"
    else if (e == "n") value = value "\n"
    else if (e == "f") value = value "\f"
    else if (e == "r") value = value "\r"
    else if (e == "\"") value = value "\""
    else if (e == "\\") value = value "\\"
    else fail("bad escape \\" e " in the value of " name)
    i += 2
  }
  if (!closed) fail("the value of " name " has no closing quote")
  rest = substr(line, i + 1)
  sub(/^[ \t]+/, "", rest)
  if (rest != "" && substr(rest, 1, 1) != "#") fail("text after the value of " name)
  if (name in seen) fail(name " is set twice")
  seen[name] = 1
  printf "%s", value >(dir "/" name)
  close(dir "/" name)
  print name
}
`;

/**
 * The launcher (buildpacks/spec platform.md "launcher", buildpack.md "Launch"), a POSIX sh script
 * rather than a program: every stack has /bin/sh (and awk), it adds a few kilobytes to the image
 * instead of a static binary, and anyone can read what runs as pid 1's child. What it does, in order:
 *   1. picks the process: invoked as /cnb/process/<type> (a symlink), that buildpack process with
 *      the user's arguments replacing its default `args`; `launcher -- CMD ARG…` runs CMD directly;
 *      `launcher CMD [ARG…]` runs it through the shell (one argument: `/bin/sh -c CMD`);
 *   2. for each buildpack of the group (order file), each of its launch layers in name order:
 *      `bin/` on PATH, `lib/` on LD_LIBRARY_PATH, then `env/`, `env.launch/`,
 *      `env.launch/<process>/` with the suffix rules; values are read as bytes and exported,
 *      never evaluated (only names, checked to be identifiers, pass through `eval`);
 *   3. from the app dir, runs every `exec.d/*` (all layers, same order), then every
 *      `exec.d/<process>/*`, fd 3 on a file, and exports the TOML pairs they write there (see
 *      EXEC_D_PARSER); a failure or malformed output stops the launch, exit 83;
 *   4. only for the shell strategy: sources `profile.d/*` of every layer, then `<app>/.profile`
 *      (buildpack processes are direct since Buildpack API 0.9, so they never source them);
 *   5. cds to the process's working directory and execs the command.
 */
export function launcherScript(): string {
  return `#!/bin/sh
# dropship's Cloud Native Buildpacks launcher; see the README, "Cloud Native Buildpacks".
lifecycle=${CNB_PATHS.lifecycle}
layers=\${CNB_LAYERS_DIR:-${CNB_PATHS.layers}}
app=\${CNB_APP_DIR:-${CNB_PATHS.app}}
type=\${0##*/}
[ "$type" = launcher ] && type=

valid_name() {
  case $1 in '' | [!A-Za-z_]* | *[!A-Za-z0-9_]*) return 1 ;; esac
}

read_value() {
  value=$(cat "$1"; printf x)
  value=\${value%x}
}

apply_env_dir() {
  [ -d "$1" ] || return 0
  for file in "$1"/*; do
    [ -f "$file" ] || continue
    base=\${file##*/}
    name=\${base%%.*}
    op=\${base#"$name"}
    valid_name "$name" || continue
    read_value "$file"
    delim=
    if [ -f "$1/$name.delim" ]; then read_value "$1/$name.delim"; delim=$value; read_value "$file"; fi
    eval "isset=\\\${$name+x} current=\\\${$name-}"
    case $op in
      '' | .override) export "$name=$value" ;;
      .default) [ -n "$isset" ] || export "$name=$value" ;;
      .append) if [ -n "$current" ]; then export "$name=$current$delim$value"; else export "$name=$value"; fi ;;
      .prepend) if [ -n "$current" ]; then export "$name=$value$delim$current"; else export "$name=$value"; fi ;;
    esac
  done
}

prepend_path() {
  eval "current=\\\${$1-}"
  if [ -n "$current" ]; then export "$1=$2:$current"; else export "$1=$2"; fi
}

exec_d_parser='${EXEC_D_PARSER}'

# Each file of an exec.d dir, by name, run from the app dir with fd 3 on a file; what it writes
# there is parsed (never evaluated) and exported before the next file runs.
run_exec_d() {
  [ -d "$1" ] || return 0
  for exe in "$1"/*; do
    [ -f "$exe" ] || continue
    [ -x "$exe" ] || { echo "launcher: exec.d: $exe is not executable" >&2; exit 83; }
    scratch=$(mktemp -d) || exit 83
    "$exe" 3>"$scratch/out" || { status=$?; echo "launcher: exec.d: $exe failed (exit status $status)" >&2; rm -rf "$scratch"; exit 83; }
    mkdir "$scratch/values"
    names=$(LC_ALL=C awk -v dir="$scratch/values" "$exec_d_parser" <"$scratch/out" 2>"$scratch/error") || {
      echo "launcher: exec.d: $exe: $(cat "$scratch/error")" >&2
      rm -rf "$scratch"
      exit 83
    }
    for name in $names; do
      read_value "$scratch/values/$name"
      export "$name=$value"
    done
    rm -rf "$scratch"
  done
}

# The buildpacks of the group in build order, then each one's layers by name (the glob sorts).
for_each_layer() {
  [ -f "$lifecycle/order" ] || return 0
  for bp in $(cat "$lifecycle/order"); do
    [ -d "$layers/$bp" ] || continue
    for layer in "$layers/$bp"/*; do
      [ -d "$layer" ] && "$1" "$layer"
    done
  done
}

layer_env() {
  if [ -d "$1/bin" ]; then prepend_path PATH "$1/bin"; fi
  if [ -d "$1/lib" ]; then prepend_path LD_LIBRARY_PATH "$1/lib"; fi
  apply_env_dir "$1/env"
  apply_env_dir "$1/env.launch"
  if [ -n "$type" ]; then apply_env_dir "$1/env.launch/$type"; fi
}
layer_exec_d() { run_exec_d "$1/exec.d"; }
layer_exec_d_type() { run_exec_d "$1/exec.d/$type"; }

# platform.md "launcher": a buildpack process (Buildpack API >= 0.9: always direct), or
# \`launcher -- CMD ARG...\` (direct), or \`launcher CMD [ARG...]\` (through a shell).
direct=1
workdir=$app
if [ -n "$type" ]; then
  [ -f "$lifecycle/processes/$type" ] || { echo "launcher: no process type '$type'" >&2; exit 82; }
  # Written by the exporter: the command and args as literal single-quoted words, and any workdir=.
  . "$lifecycle/processes/$type"
elif [ "\${1-}" = -- ]; then
  shift
else
  direct=0
fi
[ $# -gt 0 ] || { echo "launcher: no command given" >&2; exit 82; }

cd "$app" || exit 82
for_each_layer layer_env
for_each_layer layer_exec_d
if [ -n "$type" ]; then for_each_layer layer_exec_d_type; fi

if [ "$direct" = 1 ]; then
  cd "$workdir" || exit 82
  exec "$@"
fi

# The shell strategy (platform.md "launcher", "Execution"): this shell sources every profile.d
# file (buildpacks in build order, then layers and files by name), then <app>/.profile, from the
# app dir, and runs the command. Files are found by glob, so no file name is ever read as code;
# sourced in a function so a script's \`set --\` cannot change the command.
source_profiles() {
  [ -f "$_cnb_lifecycle/order" ] || return 0
  for _cnb_bp in $(cat "$_cnb_lifecycle/order"); do
    for _cnb_layer in "$_cnb_layers/$_cnb_bp"/*; do
      for _cnb_profile in "$_cnb_layer/profile.d"/*; do
        if [ -f "$_cnb_profile" ]; then . "$_cnb_profile"; fi
      done
    done
  done
  if [ -f "$_cnb_app/.profile" ]; then . "$_cnb_app/.profile"; fi
}
_cnb_lifecycle=$lifecycle _cnb_layers=$layers _cnb_app=$app
source_profiles
cd "$_cnb_app" || exit 82
if [ $# -eq 1 ]; then exec /bin/sh -c "$1"; fi
exec "$@"
`;
}

/** A word for sh, quoted so nothing in it is expanded: '…' with each ' written as '\\''. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * /cnb/lifecycle/processes/<type>: sourced by the launcher; literal words only (no working-dir:
 * the launcher's <app>). The user's
 * arguments replace the default `args`, never the `command` words (platform.md "launcher":
 * Buildpack API ≥ 0.9 buildpacks support default process args).
 */
export function processDefinition(p: ProcessType): string {
  const args = p.args.length > 0 ? `[ $# -gt 0 ] || set -- ${p.args.map(shellQuote).join(' ')}\n` : '';
  const workdir = p.workingDir === undefined ? '' : `workdir=${shellQuote(p.workingDir)}\n`;
  return `${args}set -- ${p.command.map(shellQuote).join(' ')} "$@"\n${workdir}`;
}
