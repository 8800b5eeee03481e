import type { ProcessType } from './layer-toml.js';
import { CNB_PATHS } from './layout.js';

/**
 * The launcher (buildpacks/spec buildpack.md "Launch"), a POSIX sh script rather than a
 * program: every stack has /bin/sh, it adds a few hundred bytes to the image instead of a
 * static binary, and anyone can read what runs as pid 1's child. What it does, in order:
 *   1. for each buildpack of the group (order file), each of its launch layers in name order:
 *      `bin/` on PATH, `lib/` on LD_LIBRARY_PATH, then `env/`, `env.launch/`,
 *      `env.launch/<process>/` with the suffix rules; values are read as bytes and exported,
 *      never evaluated (only names, checked to be identifiers, pass through `eval`);
 *   2. runs `exec.d/*` and `exec.d/<process>/*` with fd 3 open on a file and exports the
 *      `NAME = "value"` lines they write there (TOML basic strings, \" and \\ unescaped);
 *   3. cds to the process's working directory and execs its command array directly.
 * Invoked as /cnb/process/<type> (a symlink) it runs that process with the user's arguments
 * appended; invoked as `launcher CMD…` it runs CMD (one argument: through /bin/sh -c).
 */
export function launcherScript(): string {
  return `#!/bin/sh
# dropship's Cloud Native Buildpacks launcher; see the README, "Cloud Native Buildpacks".
lifecycle=${CNB_PATHS.lifecycle}
layers=\${CNB_LAYERS_DIR:-${CNB_PATHS.layers}}
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

run_exec_d() {
  [ -d "$1" ] || return 0
  for exe in "$1"/*; do
    [ -f "$exe" ] && [ -x "$exe" ] || continue
    out=$(mktemp)
    "$exe" 3>"$out" || { echo "launcher: $exe failed" >&2; rm -f "$out"; exit 83; }
    while IFS= read -r line || [ -n "$line" ]; do
      name=\${line%%=*}
      name=$(printf '%s' "$name" | tr -d ' \\t')
      valid_name "$name" || continue
      rest=\${line#*=}
      rest=\${rest#"\${rest%%[! ]*}"}
      case $rest in \\"*\\") ;; *) continue ;; esac
      rest=\${rest#\\"}
      rest=\${rest%\\"}
      export "$name=$(printf '%s' "$rest" | sed -e 's/\\\\"/"/g' -e 's/\\\\\\\\/\\\\/g')"
    done <"$out"
    rm -f "$out"
  done
}

if [ -f "$lifecycle/order" ]; then
  while IFS= read -r bp; do
    [ -n "$bp" ] && [ -d "$layers/$bp" ] || continue
    for layer in "$layers/$bp"/*; do
      [ -d "$layer" ] || continue
      if [ -d "$layer/bin" ]; then prepend_path PATH "$layer/bin"; fi
      if [ -d "$layer/lib" ]; then prepend_path LD_LIBRARY_PATH "$layer/lib"; fi
      apply_env_dir "$layer/env"
      apply_env_dir "$layer/env.launch"
      if [ -n "$type" ]; then apply_env_dir "$layer/env.launch/$type"; fi
      run_exec_d "$layer/exec.d"
      if [ -n "$type" ]; then run_exec_d "$layer/exec.d/$type"; fi
    done
  done <"$lifecycle/order"
fi

workdir=${CNB_PATHS.app}
if [ -n "$type" ]; then
  [ -f "$lifecycle/processes/$type" ] || { echo "launcher: no process type '$type'" >&2; exit 82; }
  # Written by the exporter: 'set -- <command> <args> "$@"' and workdir=, every word single-quoted.
  . "$lifecycle/processes/$type"
elif [ $# -eq 1 ]; then
  set -- /bin/sh -c "$1"
elif [ $# -eq 0 ]; then
  echo "launcher: no command given" >&2
  exit 82
fi
cd "$workdir" || exit 82
exec "$@"
`;
}

/** A word for sh, quoted so nothing in it is expanded: '…' with each ' written as '\\''. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** /cnb/lifecycle/processes/<type>: sourced by the launcher; literal words only. */
export function processDefinition(p: ProcessType): string {
  const words = [...p.command, ...p.args].map(shellQuote).join(' ');
  return `set -- ${words} "$@"\nworkdir=${shellQuote(p.workingDir ?? CNB_PATHS.app)}\n`;
}
