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

test.run();
