import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest } from '../../../src/push/manifest.js';
import { manifestPathFor, planPush, PUSH_DEFAULTS } from '../../../src/push/push-options.js';
import { refused } from '../../helpers/assert.js';

let root = '';
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-push-options-'));
  await mkdir(join(root, 'api'));
  await mkdir(join(root, 'site'));
  await writeFile(join(root, 'site', 'manifest.yml'), 'applications:\n- name: site\n');
});
test.after(() => rm(root, { recursive: true, force: true }));

test('defaults: name from the directory, bookworm, instances left to the app (1 when new, else kept), port health check', () => {
  const [plan] = planPush({ path: 'api' }, undefined, root);
  assert.equal(plan, {
    name: 'api', path: join(root, 'api'), buildpacks: [], stack: 'bookworm', command: undefined,
    instances: undefined, memoryBytes: PUSH_DEFAULTS.memoryBytes, diskBytes: PUSH_DEFAULTS.diskBytes, env: {}, hostPort: undefined,
    healthCheck: { type: 'port', endpoint: '/', timeoutSeconds: 60 }, processes: [], noStart: false, strategy: 'replace',
  });
});

test('flags override the manifest; env merges with flags winning', () => {
  const manifest = parseManifest(`applications:
- name: api
  path: api
  instances: 2
  memory: 512M
  command: node a.js
  buildpacks: [nodejs]
  env: {A: manifest, B: manifest}
  health-check-type: http
  health-check-http-endpoint: /health
`, join(root, 'manifest.yml'));
  const [plan] = planPush({ instances: '3', memory: '1G', env: ['B=flag', 'C=x=y'], buildpacks: ['binary'], hostPort: '8081', strategy: 'rolling' }, manifest, root);
  assert.is(plan!.path, join(root, 'api'));
  assert.is(plan!.instances, 3);
  assert.is(plan!.memoryBytes, 1024 ** 3);
  assert.is(plan!.command, 'node a.js');
  assert.equal(plan!.buildpacks, ['binary']);
  assert.equal(plan!.env, { A: 'manifest', B: 'flag', C: 'x=y' });
  assert.equal(plan!.healthCheck, { type: 'http', endpoint: '/health', timeoutSeconds: 60 });
  assert.is(plan!.hostPort, 8081);
  assert.is(plan!.strategy, 'rolling');
});

test('the web process of the manifest sets the app values; other processes are kept', () => {
  const manifest = parseManifest(`applications:
- name: procs
  path: api
  instances: 1
  processes:
  - type: web
    instances: 2
    command: node web.js
  - type: worker
    command: node worker.js
`, join(root, 'manifest.yml'));
  const [plan] = planPush({}, manifest, root);
  assert.is(plan!.instances, 2);
  assert.is(plan!.command, 'node web.js');
  assert.equal(plan!.processes, [{ type: 'worker', command: 'node worker.js' }]);
});

test('several apps: all pushed, --name picks one, per-app flags need one app', () => {
  const manifest = parseManifest('applications:\n- name: one\n  path: api\n- name: two\n  path: site\n', join(root, 'manifest.yml'));
  assert.equal(planPush({}, manifest, root).map((p) => p.name), ['one', 'two']);
  assert.equal(planPush({ name: 'two', instances: '2' }, manifest, root).map((p) => [p.name, p.instances]), [['two', 2]]);
  assert.is(refused(() => planPush({ instances: '2' }, manifest, root)).message,
    `flags for one app (instances) cannot apply to the 2 apps of ${join(root, 'manifest.yml')}`);
  assert.match(refused(() => planPush({ name: 'three' }, manifest, root)).message, "app 'three' is not in");
});

test('bad flag values name the flag and the value', () => {
  assert.is(refused(() => planPush({ path: 'api', instances: 'two' }, undefined, root)).message, "-i: 'two' is not a whole number to 64");
  assert.is(refused(() => planPush({ path: 'api', hostPort: '70000' }, undefined, root)).message, "--host-port: '70000' is not a whole number from 1 to 65535");
  assert.is(refused(() => planPush({ path: 'api', env: ['=x'] }, undefined, root)).message, "-e: '=x' is not KEY=VALUE");
  assert.is(refused(() => planPush({ path: 'api', healthCheckType: 'tcp' }, undefined, root)).message, "--health-check-type: 'tcp' is not port, http or process");
  assert.is(refused(() => planPush({ path: 'api', strategy: 'blue-green' }, undefined, root)).message, "--strategy: 'blue-green' is not rolling");
  assert.is(refused(() => planPush({ path: 'nope' }, undefined, root)).code, 'APP_PATH_NOT_FOUND');
});

test('manifest.yml beside the app is found unless -f or --no-manifest says otherwise', () => {
  assert.is(manifestPathFor({ path: 'site' }, root), join(root, 'site', 'manifest.yml'));
  assert.is(manifestPathFor({ path: 'api' }, root), undefined);
  assert.is(manifestPathFor({ path: 'site', noManifest: true }, root), undefined);
  assert.is(manifestPathFor({ manifest: 'other.yml' }, root), join(root, 'other.yml'));
});

test('-e refuses the platform-owned names the manifest refuses', () => {
  for (const pair of ['PORT=9000', 'VCAP_SERVICES={}', 'CF_INSTANCE_IP=1.2.3.4', 'MEMORY_LIMIT=1G']) {
    assert.match(refused(() => planPush({ path: 'api', env: [pair] }, undefined, root)).message, `-e: '${pair}' is not a name the app may set`);
  }
});

test.run();
