import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const MAIN = new URL('../../../src/cli/main.ts', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'h5-sg-cli-'));
const name = uniqueName('h5cli');

function dropship(...args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, ['--import', 'tsx', MAIN, ...args], { encoding: 'utf8', env: { ...process.env, DROPSHIP_HOME: TEST_HOME } });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

test.after(() => {
  dropship('security-group', 'delete', name);
  rmSync(dir, { recursive: true, force: true });
});

test('an invalid rule is refused with the rule index and field', () => {
  const file = join(dir, 'bad.json');
  writeFileSync(file, JSON.stringify([{ protocol: 'tcp', destination: '10.0.0.1', ports: '443' }, { protocol: 'tcp', destination: '10.0.0.1', ports: '80-' }]));
  const result = dropship('security-group', 'create', name, file);
  assert.is(result.status, 1);
  assert.is(result.stderr.split('\n')[0], "error: rule 2: ports: '80-' is not a port or range");
  assert.ok(result.stderr.includes('hint: '));
});

test('create, bind, list, unbind, delete', () => {
  const file = join(dir, 'good.json');
  writeFileSync(file, JSON.stringify([{ protocol: 'tcp', destination: '198.18.0.0/15', ports: '443', description: 'https' }]));
  assert.is(dropship('security-group', 'create', name, file).stdout, `Created security group ${name}\n`);
  assert.is(dropship('security-group', 'create', name, file).status, 1, 'a second create is refused');
  assert.is(dropship('security-group', 'bind', name, '--running', '--app', 'h5-no-such-app').status, 0);
  const listed = JSON.parse(dropship('security-group', 'ls', '--json').stdout) as { name: string; rules: unknown[]; bindings: unknown[] }[];
  const mine = listed.find((group) => group.name === name)!;
  assert.is(mine.rules.length, 1);
  assert.equal(mine.bindings, [{ kind: 'running', app: 'h5-no-such-app' }]);
  assert.ok(dropship('security-group', 'ls').stdout.includes(`${name}`));
  assert.is(dropship('security-group', 'bind', name).status, 1, '--running or --staging is required');
  assert.is(dropship('security-group', 'unbind', name, '--running', '--app', 'h5-no-such-app').status, 0);
  assert.is(dropship('security-group', 'delete', name).stdout, `Deleted security group ${name}\n`);
  assert.ok(dropship('security-group', 'delete', name).stderr.includes(`security group '${name}' does not exist`));
});

test.run();
