import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../../../src/push/manifest.js';
import { parseVarFlags, readVarsFile } from '../../../src/push/manifest-vars.js';
import { manifestVars } from '../../../src/push/push-options.js';
import { DropshipError } from '../../../src/errors.js';
import { refused } from '../../helpers/assert.js';

const MANIFEST = `applications:
- name: ((app))-web
  instances: ((count))
  memory: ((mem))
  env:
    GREETING: hello ((who)), again ((who))
`;

test('((vars)) fill scalars: whole values keep their type, parts are spliced as text', () => {
  const vars = parseVarFlags(['app=shop', 'count=3', 'mem=128M', 'who=world']);
  const [app] = parseManifest(MANIFEST, 'manifest.yml', vars).applications;
  assert.is(app!.name, 'shop-web');
  assert.is(app!.instances, 3);
  assert.is(app!.memoryBytes, 128 * 1024 * 1024);
  assert.equal(app!.env, { GREETING: 'hello world, again world' });
});

test('an unresolved ((var)) is an error naming the var and its manifest line', () => {
  const error = refused(() => parseManifest(MANIFEST, 'manifest.yml', parseVarFlags(['app=shop', 'count=3', 'mem=1G'])));
  assert.is(error.code, 'MANIFEST_VAR');
  assert.is(error.message, 'manifest.yml:6: ((who)) is not set');
  assert.match(error.hint ?? '', '--var who=VALUE');
});

test('a var value cannot add YAML structure: it stays one scalar', () => {
  const text = 'applications:\n- name: x\n  env:\n    A: ((a))\n';
  const [app] = parseManifest(text, 'manifest.yml', { a: 'x\n  PORT: 1\nB: {c: d}' }).applications;
  assert.equal(app!.env, { A: 'x\n  PORT: 1\nB: {c: d}' });
});

test('--var needs NAME=VALUE', () => {
  assert.match(refused(() => parseVarFlags(['novalue'])).message, "--var 'novalue': expected NAME=VALUE");
  assert.equal(parseVarFlags(['a=b=c', 'n=2', 'yes=true']), { a: 'b=c', n: 2, yes: true });
});

test('--vars-file: a YAML map; --var wins over it; a later file over an earlier one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-vars-'));
  try {
    await writeFile(join(dir, 'one.yml'), 'app: one\ncount: 2\nmem: 64M\n');
    await writeFile(join(dir, 'two.yml'), 'app: two\n');
    await writeFile(join(dir, 'bad.yml'), 'app: ok\nlist: [1, 2]\n');
    const vars = await manifestVars({ varsFiles: [join(dir, 'one.yml'), join(dir, 'two.yml')], vars: ['count=5'] });
    assert.equal(vars, { app: 'two', count: 5, mem: '64M' });
    const error = await readVarsFile(join(dir, 'bad.yml')).then(() => undefined, (e: DropshipError) => e);
    assert.is(error?.message, `--vars-file ${join(dir, 'bad.yml')}:2: 'list' must be a string, number or boolean`);
    const missing = await readVarsFile(join(dir, 'none.yml')).then(() => undefined, (e: DropshipError) => e);
    assert.is(missing?.message, `--vars-file ${join(dir, 'none.yml')}: ENOENT`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('manifest env naming a platform-owned variable is refused at its line', () => {
  for (const name of ['PORT', 'VCAP_SERVICES', 'VCAP_APPLICATION', 'CF_INSTANCE_IP', 'MEMORY_LIMIT', 'INSTANCE_INDEX', 'INSTANCE_GUID']) {
    const error = refused(() => parseManifest(`applications:\n- name: x\n  env:\n    OK: 1\n    ${name}: '9000'\n`));
    assert.is(error.message, `manifest.yml:5: applications[0] (x): env '${name}' is set by the platform for every instance`, name);
  }
  assert.equal(parseManifest('applications:\n- name: x\n  env:\n    PORTS: a\n    MY_PORT: b\n').applications[0]!.env, { PORTS: 'a', MY_PORT: 'b' });
});

test.run();
