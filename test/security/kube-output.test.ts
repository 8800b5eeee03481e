import { lstat, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { kubeManifests, writeManifests } from '../../src/kube/index.js';
import { release } from '../unit/kube/fixture.js';

let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dropship-kube-sec-'));
});

test.after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('the YAML carries the Secret: 0600 even over an older world-readable file', async () => {
  const out = join(dir, 'mode');
  await writeManifests(out, 'shop', kubeManifests(release()));
  const path = join(out, 'shop.yaml');
  await writeFile(path, 'old', { mode: 0o644 });
  await writeManifests(out, 'shop', kubeManifests(release()));
  assert.is((await stat(path)).mode & 0o777, 0o600);
  assert.match(await readFile(path, 'utf8'), /kind: Secret/);
});

test('a symlink planted at DIR/<app>.yaml is replaced, its target left untouched', async () => {
  const out = join(dir, 'link');
  const victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n', { mode: 0o644 });
  await writeManifests(out, 'shop', kubeManifests(release()));
  await rm(join(out, 'shop.yaml'));
  await symlink(victim, join(out, 'shop.yaml'));
  await writeManifests(out, 'shop', kubeManifests(release()));
  assert.is(await readFile(victim, 'utf8'), 'precious\n');
  assert.is((await stat(victim)).mode & 0o777, 0o644);
  assert.ok((await lstat(join(out, 'shop.yaml'))).isFile(), 'a regular file now');
});

test('values that look like Kubernetes variable references reach the app unexpanded', () => {
  // $(VAR) in an env value or args is expanded by the kubelet; user and service values travel in
  // the Secret (never expanded) and literals are escaped, so no value can read another variable.
  const hostile = release({
    app: 'shop',
    env: { X: '$(CF_INSTANCE_GUID)' },
    services: { s: [{ credentials: { p: '$(PORT)' } }] },
    processes: [release().processes[0]!, { ...release().processes[1]!, command: 'echo $(VCAP_SERVICES)' }],
  });
  type Pod = { spec: { template: { spec: { containers: Array<{ args?: string[]; env: Array<{ name: string; value?: string }> }> } } } };
  const workloads = kubeManifests(hostile).objects.filter((o) => o.kind === 'StatefulSet') as unknown as Pod[];
  const unescaped = /(^|[^$])(\$\$)*\$\(/;
  for (const w of workloads) {
    const container = w.spec.template.spec.containers[0]!;
    for (const e of container.env) {
      if (e.value === undefined || e.name === 'CF_INSTANCE_ADDR') continue;
      assert.not.match(e.value, unescaped, e.name);
    }
    for (const arg of container.args ?? []) assert.not.match(arg, unescaped, 'args');
  }
  assert.equal(workloads[1]!.spec.template.spec.containers[0]!.args, ['echo $$(VCAP_SERVICES)']);
  assert.match('a $(B)', unescaped, 'the pattern finds a reference');
  assert.not.match('a $$(B)', unescaped, 'and not an escaped one');
});

test.run();
