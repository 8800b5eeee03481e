import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { subnetClashes, type HostRoute, type NetworkConfig } from './config.js';
import { missingBase, parseSave, renderRestore, type RestoreScript } from './iptables-rules.js';
import { run } from './exec.js';
import { BRIDGE } from './names.js';

const BRIDGE_MAC = '02:d5:00:00:00:01';

async function sysctl(path: string, value: string): Promise<void> {
  const full = `/proc/sys/${path}`;
  if ((await readFile(full, 'utf8')).trim() !== value) await writeFile(full, value);
}

export async function hostNameservers(): Promise<string[]> {
  const text = await readFile('/etc/resolv.conf', 'utf8').catch(() => '');
  return [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((match) => match[1]!);
}

async function bridgeAddresses(): Promise<{ local: string; prefixlen: number }[]> {
  const { stdout } = await run('ip', ['-j', '-4', 'addr', 'show', 'dev', BRIDGE], { step: `checking bridge ${BRIDGE}` });
  const links = JSON.parse(stdout || '[]') as { addr_info?: { local: string; prefixlen: number }[] }[];
  return links[0]?.addr_info ?? [];
}

async function ensureBridge(config: NetworkConfig): Promise<void> {
  const wanted = `${config.gateway}/${config.cidr.prefix}`;
  if (!existsSync(`/sys/class/net/${BRIDGE}`)) {
    const { stdout } = await run('ip', ['-j', '-4', 'route'], { step: 'reading host routes' });
    const clashes = subnetClashes(config, JSON.parse(stdout || '[]') as HostRoute[], await hostNameservers());
    if (clashes.length) {
      throw new DropshipError('SUBNET_CLASH', `container subnet ${config.subnet} overlaps ${clashes.join(', ')} on this host`, {
        hint: 'choose another subnet with DROPSHIP_SUBNET or "subnet" in $DROPSHIP_HOME/network/config.json',
      });
    }
    const created = await run('ip', ['-batch', '-'], {
      step: `creating bridge ${BRIDGE}`,
      allowFail: true,
      input: `link add ${BRIDGE} address ${BRIDGE_MAC} type bridge\naddr add ${wanted} dev ${BRIDGE}\nlink set ${BRIDGE} up\n`,
    });
    // Another dropship process may have created it at the same moment: check what is there.
    if (created.exitCode !== 0 && !existsSync(`/sys/class/net/${BRIDGE}`)) {
      throw new DropshipError('NETWORK_COMMAND_FAILED', `creating bridge ${BRIDGE} failed: ${created.stderr.trim()}`);
    }
  }
  const addresses = await bridgeAddresses();
  if (!addresses.some((a) => `${a.local}/${a.prefixlen}` === wanted)) {
    if (addresses.length) {
      const found = addresses.map((a) => `${a.local}/${a.prefixlen}`).join(', ');
      throw new DropshipError('BRIDGE_MISMATCH', `bridge ${BRIDGE} has ${found}, but the configured subnet ${config.subnet} needs ${wanted}`, {
        hint: `stop all containers and delete the bridge (ip link del ${BRIDGE}), or configure subnet ${found} again`,
      });
    }
    await run('ip', ['-batch', '-'], { step: `configuring bridge ${BRIDGE}`, input: `addr add ${wanted} dev ${BRIDGE}\nlink set ${BRIDGE} up\n` });
  }
  // The host must not be reachable over IPv6 link-local addresses either: ip6tables has no rules.
  await sysctl(`net/ipv6/conf/${BRIDGE}/disable_ipv6`, '1').catch(() => undefined);
  await sysctl(`net/ipv4/conf/${BRIDGE}/route_localnet`, '1');
  // Replies to containers come in on the host's uplink, so per-interface forwarding is not enough.
  await sysctl('net/ipv4/ip_forward', '1');
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
 * The bridge, sysctls and dropship's base chains, created when missing (idempotent). The base
 * chains are checked once per process; the bridge each time (a stat).
 */
export async function ensureHostNetwork(config: NetworkConfig): Promise<void> {
  if (ensuredBase === config.subnet && existsSync(`/sys/class/net/${BRIDGE}`)) return;
  await ensureBridge(config);
  await restore(missingBase(parseSave(await iptablesSave()), config.subnet), 'creating dropship iptables chains');
  ensuredBase = config.subnet;
}
