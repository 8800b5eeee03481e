import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { homePaths } from '../../../src/home.js';
import { removeLegacyBridge } from '../../../src/network/host.js';
import { gcNetwork, LEGACY_BRIDGE } from '../../../src/network/index.js';

function sh(command: string): string {
  return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8' });
}

/** Every lease of the shared test store counts as alive: these tests only judge the bridge. */
function leaseIds(): string[] {
  const path = join(homePaths().network, 'leases.json');
  return existsSync(path) ? Object.keys((JSON.parse(readFileSync(path, 'utf8')) as { leases: Record<string, unknown> }).leases) : [];
}

const tag = randomBytes(3).toString('hex');
const port = `dsup-${tag}`;

/** An older dropship's bridge with one of its containers. veths still plugged in. */
function oldBridge(name: string): void {
  sh(`ip link add ${name} type bridge && ip link add ${port} type veth peer name dsupp-${tag} && ip link set ${port} master ${name}`);
}

test.after(() => {
  sh(`ip link del ${port} 2>/dev/null; ip link del dsupbr-${tag} 2>/dev/null; true`);
});

test('an old bridge is removed once no container is plugged into it, not before', async () => {
  const name = `dsupbr-${tag}`;
  oldBridge(name);
  assert.is(await removeLegacyBridge(name), false);
  assert.ok(existsSync(`/sys/class/net/${name}`), 'a bridge with an older container on it stays');
  sh(`ip link del ${port}`);
  assert.is(await removeLegacyBridge(name), true);
  assert.not.ok(existsSync(`/sys/class/net/${name}`));
  assert.is(await removeLegacyBridge(name), false, 'nothing to do the second time');
});

test(`dropship gc removes an empty ${LEGACY_BRIDGE} (dry run only reports it)`, async () => {
  if (existsSync(`/sys/class/net/${LEGACY_BRIDGE}`)) return console.log(`skipped: ${LEGACY_BRIDGE} exists (an older dropship on this host may be using it)`);
  sh(`ip link add ${LEGACY_BRIDGE} type bridge`);
  assert.is((await gcNetwork(leaseIds(), { dryRun: true })).legacyBridge, true);
  assert.ok(existsSync(`/sys/class/net/${LEGACY_BRIDGE}`));
  assert.is((await gcNetwork(leaseIds())).legacyBridge, true);
  assert.not.ok(existsSync(`/sys/class/net/${LEGACY_BRIDGE}`));
});

test.run();
