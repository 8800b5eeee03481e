import { stat } from 'node:fs/promises';
import type { CheckResult } from './checks.js';
import { commandVersion } from './probe.js';

/** Rows for what dropship's own hardening depends on: the init, crun's stdio, the store's modes. */

export async function initCheck(): Promise<CheckResult> {
  const { TINI_STATIC } = await import('../container/init.js');
  const version = await commandVersion(TINI_STATIC, ['--version']);
  return version
    ? { name: 'init', status: 'ok', detail: `${version} (${TINI_STATIC}, pid 1 of every container)`, required: true }
    : { name: 'init', status: 'missing', detail: `${TINI_STATIC} not found: containers need it as pid 1 (signals, zombies)`, required: true, fix: 'apt-get install tini' };
}

export async function crunStdioCheck(): Promise<CheckResult> {
  const version = await commandVersion('crun', ['--version']);
  const devNull = await stat('/dev/null').catch(() => undefined);
  const devNullOk = devNull !== undefined && devNull.uid === 0 && devNull.gid === 0 && (devNull.mode & 0o777) === 0o666;
  if (!devNullOk) {
    const now = devNull ? `${devNull.uid}:${devNull.gid} mode ${(devNull.mode & 0o777).toString(8)}` : 'missing';
    return {
      name: 'crun stdio',
      status: 'degraded',
      detail: `/dev/null is ${now}, not root:root 0666 (an old crun re-owned it; dropship hands crun only pipes)`,
      required: false,
      fix: 'chown root:root /dev/null && chmod 666 /dev/null',
    };
  }
  return {
    name: 'crun stdio',
    status: 'ok',
    detail: version ? `${version}: given pipes only, never host files, as stdio (crun 1.8 re-owns them)` : 'crun not installed; nothing to work around',
    required: false,
  };
}

export async function storeModesCheck(): Promise<CheckResult> {
  const { dropshipHome } = await import('../home.js');
  const root = dropshipHome();
  const info = await stat(root).catch(() => undefined);
  if (!info) return { name: 'store', status: 'ok', detail: `${root} does not exist yet (created 0711 on first use)`, required: false };
  const mode = info.mode & 0o777;
  return (mode & 0o044) === 0
    ? { name: 'store', status: 'ok', detail: `${root} mode ${mode.toString(8)}: closed to other local users`, required: false }
    : {
        name: 'store',
        status: 'degraded',
        detail: `${root} mode ${mode.toString(8)}: other local users can list it`,
        required: false,
        fix: 'run any dropship command (e.g. `dropship gc --dry-run`): it tightens the store to 0711/0700',
      };
}
