import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseManifest } from '../../../src/push/manifest.js';
import { appProcesses } from '../../../src/push/push.js';
import { planPush } from '../../../src/push/push-options.js';

const MiB = 1024 * 1024;
const procfile = { processTypes: { web: 'node server.js', worker: 'node worker.js', clock: 'node clock.js' } };

test('every Procfile type is a process of the one app: web first, the others with no instance count of their own (0 when new) and a process check', () => {
  const [plan] = planPush({ path: '.', name: 'shop', memory: '512M' });
  const processes = appProcesses(plan!, procfile);
  assert.equal(processes.map((p) => [p.type, p.instances, p.healthCheck.type, p.command, p.memoryBytes / MiB]), [
    ['web', undefined, 'port', undefined, 512],
    ['worker', undefined, 'process', 'node worker.js', 512],
    ['clock', undefined, 'process', 'node clock.js', 512],
  ]);
});

test("the manifest's processes set a type's instances, limits, command and health check; a type only the manifest names is added", () => {
  const manifest = parseManifest(
    [
      'applications:',
      '- name: shop',
      '  instances: 2',
      '  processes:',
      '  - type: worker',
      '    instances: 3',
      '    memory: 128M',
      '    disk_quota: 256M',
      '    command: node worker.js --fast',
      '    health-check-type: port',
      '  - type: mailer',
      '    command: node mailer.js',
      '',
    ].join('\n'),
    '/tmp/manifest.yml',
  );
  const [plan] = planPush({ path: '.' }, manifest);
  const processes = appProcesses(plan!, procfile);
  assert.equal(processes.map((p) => p.type), ['web', 'worker', 'clock', 'mailer']);
  const worker = processes[1]!;
  assert.equal([worker.instances, worker.memoryBytes / MiB, worker.diskBytes / MiB, worker.command, worker.healthCheck.type], [3, 128, 256, 'node worker.js --fast', 'port']);
  assert.is(processes[0]!.instances, 2, 'the app-level instances are web’s');
  assert.is(processes[3]!.command, 'node mailer.js');
});

test('a CNB image: every launch.toml type is a process, run by the launcher (no command of its own); without a web type, its default process is web, not run twice', () => {
  const [plan] = planPush({ path: '.', name: 'shop' });
  const cnb = { processTypes: { hello: 'hello it\'s', worker: 'sh -c x' }, cnb: { defaultProcess: 'hello' } };
  assert.equal(appProcesses(plan!, cnb).map((p) => [p.type, p.instances, p.command]), [['web', undefined, undefined], ['worker', undefined, undefined]]);
  const withWeb = { processTypes: { web: 'server', other: 'x' }, cnb: { defaultProcess: 'other' } };
  assert.equal(appProcesses(plan!, withWeb).map((p) => p.type), ['web', 'other']);
});

test.run();
