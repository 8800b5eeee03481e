import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import { daemonPaths, ensureDaemon, normalizeRunOptions, readSupervisorRecord, readAppSpec, runApp } from '../../../src/apps/index.js';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { ensureTestImage } from '../app/fixture.js';
import { eventually, leftovers, removeApp } from '../app/helpers.js';

/** Send a `run` request and hang up as soon as it is written: a `run -d` killed by Ctrl-C at once. */
async function runAndHangUp(request: object): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = connect(daemonPaths().socket);
    socket.on('error', reject);
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n', () => (socket.destroy(), resolve())));
  });
}

test('run -d hung up before its start: the app is made on release 1 and left stopped, no instance of it runs', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const name = uniqueName('runhangup');
  try {
    await ensureDaemon();
    const options = await normalizeRunOptions({ image: await ensureTestImage(), name, stopTimeout: 1 });
    await runAndHangUp({ op: 'run', app: name, options, reason: 'run' });
    const spec = await eventually(() => readAppSpec(name), 'the app is made');
    assert.is(spec.release, 1);
    // The daemon answers in turn: once a later request is through, the hung-up one has settled.
    await ensureDaemon();
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 50));
    assert.is(await readSupervisorRecord(name), undefined, 'not started: nobody was there to be told');
    assert.equal((await leftovers(name)).filter((what) => what !== 'app dir'), [], 'no container, lease or mount of it');
  } finally {
    await removeApp(name);
  }
});

test('run -d through the library: one request makes, starts and reports the app as ps shows it', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const name = uniqueName('runreq');
  try {
    const result = await runApp({ image: await ensureTestImage(), name, stopTimeout: 1 });
    assert.ok(result.running, 'healthy');
    assert.is(result.summary.name, name);
    assert.is(result.summary.state, 'started');
    assert.is(result.summary.release, 1);
    assert.equal(result.summary.instances.map((i) => i.state), ['running']);
    assert.is(result.summary.hostPort, result.hostPort);
  } finally {
    await removeApp(name);
  }
});

test.run();
