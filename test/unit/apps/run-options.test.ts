import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { normalizeRunOptions, parsePort } from '../../../src/apps/run-options.js';
import { DropshipError } from '../../../src/errors.js';

async function refused(options: Parameters<typeof normalizeRunOptions>[0]): Promise<DropshipError> {
  try {
    await normalizeRunOptions(options);
  } catch (error) {
    assert.instance(error, DropshipError);
    return error as DropshipError;
  }
  throw new Error('expected a refusal');
}

test('defaults: 1 instance, 256M, 1G disk, port check, 60 s start timeout, 10 s stop timeout, web', async () => {
  const spec = await normalizeRunOptions({ image: 'shop', name: 'shop' });
  assert.equal(spec.processes, [{ type: 'web', instances: 1, memoryBytes: 256 * 1024 * 1024, diskBytes: 1024 ** 3, healthCheck: { type: 'port', endpoint: '/', startTimeoutMs: 60_000 } }]);
  assert.is(spec.stopTimeoutMs, 10_000);
  assert.equal(spec.env, {});
  assert.equal(spec.services, {});
  assert.equal(spec.port, {});
  assert.match(spec.id, /^[0-9a-f-]{36}$/);
});

test('flags as typed on the command line are parsed', async () => {
  const spec = await normalizeRunOptions({
    image: 'shop',
    name: 'shop',
    instances: '3',
    memory: '1G',
    disk: '512M',
    env: ['A=1'],
    healthCheckType: 'http',
    endpoint: '/health',
    timeout: '4',
    port: '8000:9000',
    command: 'bundle exec puma',
    stopTimeout: '2s',
  });
  const [web] = spec.processes;
  assert.is(web!.instances, 3);
  assert.is(web!.memoryBytes, 1024 ** 3);
  assert.is(web!.diskBytes, 512 * 1024 * 1024);
  assert.equal(web!.healthCheck, { type: 'http', endpoint: '/health', startTimeoutMs: 4000 });
  assert.equal(spec.port, { host: 8000, container: 9000 });
  assert.is(web!.command, 'bundle exec puma');
  assert.is(spec.stopTimeoutMs, 2000);
});

test("processes: web defaults to 1 instance and a port check, every other type to 0 and a process check, as in Cloud Foundry", async () => {
  const spec = await normalizeRunOptions({ image: 'shop', name: 'shop', processes: [{ type: 'web' }, { type: 'worker', command: 'node worker.js' }, { type: 'clock', instances: 2, memory: '64M', healthCheckType: 'port' }] });
  assert.equal(spec.processes.map((p) => [p.type, p.instances, p.healthCheck.type, p.memoryBytes >> 20, p.command]), [
    ['web', 1, 'port', 256, undefined],
    ['worker', 0, 'process', 256, 'node worker.js'],
    ['clock', 2, 'port', 64, undefined],
  ]);
  // `run --process worker`: the app's one process starts like web.
  assert.equal((await normalizeRunOptions({ image: 'i', name: 'a', processType: 'worker' })).processes.map((p) => [p.type, p.instances, p.healthCheck.type]), [['worker', 1, 'port']]);
  assert.is((await refused({ image: 'i', name: 'a', processes: [{ type: 'web' }, { type: 'web' }] })).message, "processes: 'web' is not valid");
  assert.is((await refused({ image: 'i', name: 'a', processes: [{ type: 'web' }, { type: '../x' }] })).message, "--process: '../x' is not valid");
});

test('--services reads VCAP_SERVICES from a JSON file and names the file when it is wrong', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-services-'));
  try {
    const good = join(dir, 'good.json');
    await writeFile(good, '{"p-mysql":[{"name":"db"}]}');
    assert.equal((await normalizeRunOptions({ image: 'i', name: 'a', servicesFile: good })).services, { 'p-mysql': [{ name: 'db' }] });
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '[1,2]');
    const error = await refused({ image: 'i', name: 'a', servicesFile: bad });
    assert.is(error.code, 'SERVICES_FILE');
    assert.match(error.message, /bad\.json: expected a JSON object keyed by service label/);
    assert.is((await refused({ image: 'i', name: 'a', servicesFile: join(dir, 'none.json') })).message, `--services ${join(dir, 'none.json')}: ENOENT`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('bad values are refused naming the option and the value', async () => {
  assert.is((await refused({ image: 'i', name: 'a', healthCheckType: 'tcp' })).message, "--health-check-type: 'tcp' is not valid");
  assert.is((await refused({ image: 'i', name: 'a', instances: '-1' })).message, "--instances: '-1' is not valid");
  assert.is((await refused({ image: 'i', name: 'a', memory: '1M' })).message, "-m: '1M' is below 16M");
  assert.is((await refused({ image: 'i', name: 'a', endpoint: 'health' })).message, "--endpoint: 'health' is not valid");
  assert.is((await refused({ image: 'i', name: '../etc' })).code, 'INVALID_APP_NAME');
  assert.ok((await refused({ image: 'i', name: 'a', timeout: '0' })).hint);
});

test('parsePort: HOSTPORT, HOSTPORT:PORT, :PORT, and nonsense', () => {
  assert.equal(parsePort('8000'), { host: 8000 });
  assert.equal(parsePort('8000:3000'), { host: 8000, container: 3000 });
  assert.equal(parsePort(':3000'), { container: 3000 });
  assert.equal(parsePort('0'), {});
  for (const bad of ['x', '70000', '80:0', '1:2:3']) {
    try {
      parsePort(bad);
      assert.unreachable(bad);
    } catch (error) {
      assert.is((error as DropshipError).code, 'INVALID_OPTION');
    }
  }
});

test('-m and -k mean the same for run, scale and push: a bare number is megabytes', async () => {
  const { planPush } = await import('../../../src/push/push-options.js');
  const spec = await normalizeRunOptions({ image: 'i', name: 'a', memory: '256', disk: '512' });
  const [plan] = planPush({ path: '.', memory: '256', disk: '512' });
  const [web] = spec.processes;
  assert.equal([web!.memoryBytes, web!.diskBytes], [256 * 1024 ** 2, 512 * 1024 ** 2]);
  assert.equal([plan!.memoryBytes, plan!.diskBytes], [web!.memoryBytes, web!.diskBytes]);
  assert.is((await refused({ image: 'i', name: 'a', memory: '8' })).message, "-m: '8' is below 16M");
});

test.run();
