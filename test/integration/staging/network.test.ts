import '../../helpers/env.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { containerFilesDir, leasesPath } from '../../../src/network/leases.js';
import { shortId } from '../../../src/network/names.js';
import { listSecurityGroups, loadNetworkConfig, type NetworkConfig } from '../../../src/network/index.js';
import { hostNpmRegistry, type StagingEvent } from '../../../src/staging/index.js';
import type { LeaseFile } from '../../../src/network/types.js';
import { createWorld, hostNetworkState, type World } from '../network/world.js';
import { APPS, assertNoContainers, BUILDPACKS, inScratch, stageApp, stageFails } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const PROBE = join(BUILDPACKS, 'network-probe');

let world: World;
let config: NetworkConfig;
let defaults = true;

test.before(async () => {
  world = await createWorld([8001]);
  config = await loadNetworkConfig();
  const bound = (await listSecurityGroups()).filter((g) => g.bindings.some((b) => b.kind === 'staging' && !b.app)).map((g) => g.name);
  defaults = bound.includes('public_networks') && bound.includes('dns');
  if (!defaults) console.log(`skipping the reachability checks: the test store's staging groups were changed (${bound.join(', ')})`);
});

test.after(async () => {
  await world?.destroy();
});

function leasesOf(app: string): string[] {
  if (!existsSync(leasesPath())) return [];
  const file = JSON.parse(readFileSync(leasesPath(), 'utf8')) as LeaseFile;
  return Object.values(file.leases).filter((lease) => lease.app === app).map((lease) => lease.containerId);
}

/** Records the staging container's lease while the staging runs (its id is chosen inside stage()). */
function leaseWatcher(app: string): { ids: Set<string>; onEvent: (event: StagingEvent) => void } {
  const ids = new Set<string>();
  return { ids, onEvent: (event) => event.type === 'log' && leasesOf(app).forEach((id) => ids.add(id)) };
}

function value(lines: string[], key: string): string | undefined {
  const prefix = `       ${key}`;
  return lines.find((line) => line.startsWith(prefix))?.slice(prefix.length).trim();
}

/** Nothing of the staging's network is left: lease, veth, iptables lines, claims, name files. */
function assertNetworkGone(app: string, ids: Set<string>): void {
  assert.is(ids.size, 1, 'the staging container had one lease while it ran');
  assert.equal(leasesOf(app), [], 'no lease left');
  assert.equal(hostNetworkState([...ids]), { links: [], routes: [], rules: [], claims: [] });
  for (const id of ids) assert.not.ok(existsSync(containerFilesDir(shortId(id))), 'hosts/resolv.conf files removed');
}

test('staging has a network by default: address, name files, public ranges open, host and private ranges closed; nothing left after', async () => {
  await inScratch('net', async ({ out, name }) => {
    const watcher = leaseWatcher(name);
    const targets = [`${world.ips[0]}:8001`, `${world.privateIp}:8001`, `${world.hostIp}:8001`, `${config.gateway}:22`];
    const { lines } = await stageApp('static-site', out, name, { buildpacks: [PROBE], env: { PROBE_TARGETS: targets.join(' ') }, onEvent: watcher.onEvent });
    assert.match(value(lines, 'interfaces:') ?? '', /^eth0 lo$/);
    const address = value(lines, 'address:') ?? '';
    assert.match(address, /^\d+\.\d+\.\d+\.\d+\/32$/);
    assert.ok(lines.some((line) => line.startsWith('       resolv.conf: ')), 'the container has /etc/resolv.conf');
    assert.is(value(lines, 'hosts:'), '1 line(s) naming staging');
    assert.is(value(lines, 'NPM_CONFIG_REGISTRY='), (await hostNpmRegistry()) ?? 'unset', "the host npm's registry is passed in");
    if (defaults) {
      assert.is(value(lines, `probe ${targets[0]}:`), 'open', 'a public-range address is open');
      assert.is(value(lines, `probe ${targets[1]}:`), 'refused', 'a private-range address stays closed');
      assert.is(value(lines, `probe ${targets[2]}:`), 'refused', "the host's address on another link stays closed");
      assert.is(value(lines, `probe ${targets[3]}:`), 'refused', 'the gateway (the host) stays closed');
    }
    assertNetworkGone(name, watcher.ids);
    await assertNoContainers(name);
  });
});

test('a failed staging leaves no network behind', async () => {
  await inScratch('net-fail', async ({ out, name }) => {
    const watcher = leaseWatcher(name);
    const { error, lines } = await stageFails('static-site', out, name, { buildpacks: [PROBE], env: { PROBE_FAIL: '1' }, onEvent: watcher.onEvent });
    assert.is(error.exitCode, 223);
    assert.ok(lines.includes('       failing as asked'));
    assertNetworkGone(name, watcher.ids);
    await assertNoContainers(name);
  });
});

test('a staging that times out leaves no network behind', async () => {
  await inScratch('net-timeout', async ({ out, name }) => {
    const watcher = leaseWatcher(name);
    const { error } = await stageFails('static-site', out, name, { buildpacks: [PROBE], env: { PROBE_SLEEP: '600' }, timeout: '3s', onEvent: watcher.onEvent });
    assert.match(error.message, /staging timeout \(3s\) expired/);
    assertNetworkGone(name, watcher.ids);
    await assertNoContainers(name);
  });
});

test('a cancelled staging (Ctrl-C) leaves no network behind', async () => {
  await inScratch('net-cancel', async ({ out, name }) => {
    const watcher = leaseWatcher(name);
    const controller = new AbortController();
    const { error } = await stageFails('static-site', out, name, {
      buildpacks: [PROBE],
      env: { PROBE_SLEEP: '600' },
      signal: controller.signal,
      onEvent: (event) => {
        watcher.onEvent(event);
        if (event.type === 'log' && event.line === '       sleeping') controller.abort();
      },
    });
    assert.is(error.code, 'STAGING_CANCELLED');
    assertNetworkGone(name, watcher.ids);
    await assertNoContainers(name);
  });
});

test('dropship stage --no-network: loopback only, no lease; the user env wins over the platform env', async () => {
  await inScratch('net-off', async ({ out, name }) => {
    const run = await execa('node', ['--import', 'tsx', MAIN,
      'stage', join(APPS, 'static-site'), '--name', name, '--droplet', join(out, 'app.tgz'), '--memory', '256M', '--no-network',
      '-b', PROBE, '-e', `PROBE_TARGETS=${world.ips[0]}:8001`, '-e', 'NPM_CONFIG_REGISTRY=http://127.0.0.1:9/',
    ], { reject: false, env: { CI: '1' } });
    assert.is(run.exitCode, 0, run.stderr);
    const lines = run.stdout.split('\n').filter((line) => line.startsWith('[STG/0] ')).map((line) => line.slice('[STG/0] '.length));
    assert.is(value(lines, 'interfaces:'), 'lo');
    assert.match(value(lines, `probe ${world.ips[0]}:8001:`) ?? '', /^failed/);
    assert.is(value(lines, 'NPM_CONFIG_REGISTRY='), 'http://127.0.0.1:9/');
    assert.equal(leasesOf(name), []);
    await assertNoContainers(name);
  });
});

test.run();
