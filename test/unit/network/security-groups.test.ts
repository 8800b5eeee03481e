import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  bindSecurityGroup,
  createSecurityGroup,
  deleteSecurityGroup,
  listSecurityGroups,
  unbindSecurityGroup,
  updateSecurityGroup,
} from '../../../src/network/security-groups.js';

// A store of its own with no containers: group changes touch only files, never iptables.
// uvu imports every test file before running any, so the env is switched in before(), not at import.
const home = mkdtempSync(join(tmpdir(), 'h5-sg-unit-'));
const previous = process.env.DROPSHIP_HOME;
test.before(() => {
  process.env.DROPSHIP_HOME = home;
});

async function rejects(fn: () => Promise<unknown>, expected: RegExp): Promise<void> {
  try {
    await fn();
  } catch (error) {
    assert.match((error as Error).message, expected);
    return;
  }
  assert.unreachable(`expected an error matching ${expected}`);
}

test.after(() => {
  rmSync(home, { recursive: true, force: true });
  if (previous === undefined) delete process.env.DROPSHIP_HOME;
  else process.env.DROPSHIP_HOME = previous;
});

test('a new store lists the staging defaults', async () => {
  const groups = await listSecurityGroups();
  assert.equal(groups.map((g) => g.name), ['dns', 'public_networks']);
  assert.equal(groups[0]!.bindings, [{ kind: 'staging' }]);
});

test('create, update, bind per app, unbind, delete', async () => {
  const rules = [{ protocol: 'tcp', destination: '10.0.0.1', ports: '443' }];
  assert.equal(await createSecurityGroup('web', rules), { updated: [], unchanged: 0 });
  await rejects(() => createSecurityGroup('web', rules), /security group 'web' already exists/);
  await updateSecurityGroup('web', [...rules, { protocol: 'udp', destination: '10.0.0.2', ports: '53' }]);
  await bindSecurityGroup('web', { kind: 'running', app: 'shop' });
  await bindSecurityGroup('web', { kind: 'running', app: 'shop' });
  const web = (await listSecurityGroups()).find((g) => g.name === 'web')!;
  assert.is(web.rules.length, 2);
  assert.equal(web.bindings, [{ kind: 'running', app: 'shop' }], 'binding twice keeps one binding');
  await rejects(() => unbindSecurityGroup('web', { kind: 'running' }), /security group 'web' is not bound to running/);
  await unbindSecurityGroup('web', { kind: 'running', app: 'shop' });
  await bindSecurityGroup('web', { kind: 'staging' });
  await deleteSecurityGroup('web');
  const after = await listSecurityGroups();
  assert.equal(after.map((g) => g.name), ['dns', 'public_networks']);
});

test('invalid names and rules, unknown groups', async () => {
  await rejects(() => createSecurityGroup('-bad', []), /security group name '-bad' is not valid/);
  await rejects(() => createSecurityGroup('ok', [{ protocol: 'tcp', destination: 'x' }]), /rule 1: destination/);
  await rejects(() => bindSecurityGroup('missing', { kind: 'running' }), /security group 'missing' does not exist/);
  await rejects(() => updateSecurityGroup('missing', []), /does not exist/);
});

test.run();
