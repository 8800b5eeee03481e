import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { readSupervisorRecord } from '../../../src/apps/state.js';
import { ensureTestImage } from './fixture.js';
import { dropship, eventually, httpGet, leftovers, removeApp } from './helpers.js';

const app = uniqueName('h6recover');

async function runtimeContainers(): Promise<string[]> {
  const list = await execa('runc', ['list', '-q'], { reject: false });
  return String(list.stdout).split('\n').filter((id) => id.startsWith(`dropship-${app}-`));
}

test('after kill -9 of the supervisor, ps notices and start leaves exactly one set of instances', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const image = await ensureTestImage();
  try {
    const run = await dropship('run', image, '--name', app, '-d', '-i', '2', '--json');
    assert.is(run.exitCode, 0, run.stderr);
    const hostPort = JSON.parse(run.stdout).hostPort;
    const before = await runtimeContainers();
    assert.is(before.length, 2);
    const record = await readSupervisorRecord(app);
    process.kill(record!.pid, 'SIGKILL');
    await eventually(async () => {
      try {
        process.kill(record!.pid, 0);
        return false;
      } catch {
        return true;
      }
    }, 'the supervisor to die');
    const ps = await dropship('ps', app, '--json');
    assert.is(JSON.parse(ps.stdout)[0].state, 'supervisor-died');
    assert.match((await dropship('ps', app)).stderr, /warning: the supervisor of '.*' died; run `dropship start/);
    const start = await dropship('start', app);
    assert.is(start.exitCode, 0, start.stderr);
    const after = await runtimeContainers();
    assert.is(after.length, 2);
    for (const id of before) assert.not.ok(after.includes(id), `old container ${id} is gone`);
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) seen.add((await httpGet(hostPort)).body.trim());
    assert.equal([...seen].sort(), ['instance 0', 'instance 1']);
    const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
    assert.ok(events.some((e) => e.type === 'recover' && e.message.includes('removed 2 orphaned container(s)')));
  } finally {
    await removeApp(app);
  }
  assert.equal(await runtimeContainers(), []);
  assert.equal(await leftovers(app), []);
});

test.run();
