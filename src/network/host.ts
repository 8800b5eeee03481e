import { existsSync, readdirSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { subnetClashes, type HostRoute, type NetworkConfig } from './config.js';
import { missingBase, parseSave, renderRestore, type RestoreScript } from './iptables-rules.js';
import { run } from './exec.js';
import { LEGACY_BRIDGE } from './names.js';

export async function sysctl(path: string, value: string): Promise<void> {
  const full = `/proc/sys/${path}`;
  if ((await readFile(full, 'utf8')).trim() !== value) await writeFile(full, value);
}

export async function hostNameservers(): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((match) => match[1]!);
}

/** The interfaces still plugged into the bridge of an older dropship (none: it can go). */
export function legacyBridgePorts(bridge = LEGACY_BRIDGE): string[] | undefined {
  try {
    return readdirSync(`/sys/class/net/${bridge}/brif`);
  } catch {
    return undefined;
  }
}

/**
 * Upgrade from the shared bridge: once no container of an older dropship is plugged into it, the
 * bridge (and with it its subnet route, which the per-container /32 routes override meanwhile)
 * is deleted. Returns whether it was. Older containers keep the bridge until they stop.
 */
export async function removeLegacyBridge(bridge = LEGACY_BRIDGE): Promise<boolean> {
  const ports = legacyBridgePorts(bridge);
  if (!ports || ports.length) return false;
  await run('ip', ['link', 'del', bridge], { step: `removing the old bridge ${bridge}`, allowFail: true });
  return !existsSync(`/sys/class/net/${bridge}`);
}

async function checkSubnet(config: NetworkConfig): Promise<void> {
  const { stdout } = await run('ip', ['-j', '-4', 'route'], { step: 'reading host routes' });
  const clashes = subnetClashes(config, JSON.parse(stdout || '[]') as HostRoute[], await hostNameservers());
  if (clashes.length) {
    throw new DropshipError('SUBNET_CLASH', `container subnet ${config.subnet} overlaps ${clashes.join(', ')} on this host`, {
      hint: 'choose another subnet with DROPSHIP_SUBNET or "subnet" in $DROPSHIP_HOME/network/config.json',
    });
  }
}

export async function restore(script: RestoreScript, step: string): Promise<void> {
  const input = renderRestore(script);
  if (!input) return;
  await run('iptables-restore', ['-w', '--noflush'], { input, step });
}

export async function iptablesSave(): Promise<string> {
  return (await run('iptables-save', [], { step: 'reading iptables rules' })).stdout;
}

let ensuredBase: string | undefined;

/**
 * The sysctls and dropship's base chains, created when missing (idempotent), and the bridge of an
 * older dropship removed when empty. Checked once per process.
 */
export async function ensureHostNetwork(config: NetworkConfig): Promise<void> {
  if (ensuredBase === config.subnet) return;
  await removeLegacyBridge();
  await checkSubnet(config);
  // Replies to containers come in on the host's uplink, so per-interface forwarding is not enough.
  await sysctl('net/ipv4/ip_forward', '1');
  await restore(missingBase(parseSave(await iptablesSave()), config.subnet), 'creating dropship iptables chains');
  ensuredBase = config.subnet;
}
