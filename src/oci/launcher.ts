/**
 * The launcher baked into every image, so the image starts the same way under dropship, runc,
 * umoci or Kubernetes. POSIX sh only: the stack may have nothing but busybox.
 */
export const LAUNCHER_PATH = '/lifecycle/launcher';

export const APP_DIR = '/home/vcap/app';

/**
 * Fills port/host/instance_index into VCAP_APPLICATION when the platform did not, because apps
 * read their port from it. A plain substring test is enough: the keys are top-level in
 * everything a platform writes.
 */
const LAUNCHER = `#!/bin/sh
# dropship launcher: prepares the Cloud Foundry app environment, then execs the start command.
cd ${APP_DIR} || { echo "launcher: ${APP_DIR} is missing" >&2; exit 1; }
export HOME=${APP_DIR}
export TMPDIR=/home/vcap/tmp
export DEPS_DIR=/home/vcap/deps
export PORT="\${PORT:-8080}"
export VCAP_APP_PORT="\${VCAP_APP_PORT:-$PORT}"
export VCAP_APP_HOST="\${VCAP_APP_HOST:-0.0.0.0}"
export INSTANCE_INDEX="\${INSTANCE_INDEX:-\${CF_INSTANCE_INDEX:-0}}"
_missing=
case "\${VCAP_APPLICATION:-}" in *'"port"'*) ;; *) _missing="\${_missing}\\"port\\":$PORT,";; esac
case "\${VCAP_APPLICATION:-}" in *'"host"'*) ;; *) _missing="\${_missing}\\"host\\":\\"$VCAP_APP_HOST\\",";; esac
case "\${VCAP_APPLICATION:-}" in *'"instance_index"'*) ;; *) _missing="\${_missing}\\"instance_index\\":$INSTANCE_INDEX,";; esac
if [ -n "$_missing" ]; then
  if [ -n "\${VCAP_APPLICATION:-}" ]; then _rest="\${VCAP_APPLICATION#*\\{}"; else _rest='}'; fi
  case "$(printf '%s' "$_rest" | tr -d ' \\t\\r\\n')" in '}'*) _missing="\${_missing%,}" ;; esac
  export VCAP_APPLICATION="{$_missing$_rest"
fi
unset _missing _rest
for _f in ../profile.d/* .profile.d/*; do
  [ -f "$_f" ] && . "$_f"
done
unset _f
[ -f .profile ] && . ./.profile
if [ "$#" -eq 0 ]; then
  echo "launcher: no start command; give one as the image's command" >&2
  exit 1
fi
if [ "$#" -eq 1 ]; then set -- /bin/sh -c "$1"; fi
if [ "$$" != 1 ]; then exec "$@"; fi
# As pid 1 of its namespace the app would ignore SIGTERM it has no handler for (node, python do
# not install one), so a stop would always end in SIGKILL: stay as a tiny init that passes the
# signal on and exits with the app's status. stdin goes along on fd 3 for interactive tasks.
exec 3<&0
"$@" <&3 3<&- &
_child=$!
exec 0</dev/null 3<&-
trap 'kill -TERM "$_child" 2>/dev/null' TERM
trap 'kill -INT "$_child" 2>/dev/null' INT
trap 'kill -HUP "$_child" 2>/dev/null' HUP
while :; do
  wait "$_child"
  _status=$?
  kill -0 "$_child" 2>/dev/null || exit "$_status"
done
`;

export function launcherScript(): string {
  return LAUNCHER;
}
