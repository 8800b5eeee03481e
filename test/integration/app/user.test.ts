import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { defaultIdMap, hostUid } from '../../../src/security/idmap.js';
import { ensureTestImage, TEST_ROOT_IMAGE } from './fixture.js';
import { dropship, httpGet, removeApp } from './helpers.js';

async function hostUidOfInit(containerId: string): Promise<number> {
  const state = JSON.parse(String((await execa('runc', ['state', containerId])).stdout)) as { pid: number };
  const status = await readFile(`/proc/${state.pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)![1]);
}

async function runAndAsk(image: string, app: string): Promise<{ inside: string; hostUid: number }> {
  const run = await dropship('run', image, '--name', app, '-d', '--json');
  assert.is(run.exitCode, 0, run.stderr);
  const { hostPort, instances } = JSON.parse(run.stdout);
  return { inside: (await httpGet(hostPort, '/cgi-bin/id')).body, hostUid: await hostUidOfInit(instances[0].containerId) };
}

test('the app runs as vcap with no effective capabilities, no_new_privs and seccomp', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const app = uniqueName('h6vcap');
  try {
    const { inside, hostUid: uid } = await runAndAsk(await ensureTestImage(), app);
    assert.match(inside, /^uid=2000 gid=2000$/m);
    assert.match(inside, /^CapEff:\s+0000000000000000$/m);
    assert.match(inside, /^NoNewPrivs:\s+1$/m);
    assert.match(inside, /^Seccomp:\s+2$/m);
    assert.is(uid, hostUid(defaultIdMap(), 2000));
  } finally {
    await removeApp(app);
  }
});

test('an image whose user is root runs as the mapped container root, never host root', async () => {
  if (!isRoot) return;
  await ensureTestImage();
  const app = uniqueName('h6root');
  try {
    const { inside, hostUid: uid } = await runAndAsk(TEST_ROOT_IMAGE, app);
    assert.match(inside, /^uid=0 gid=0$/m);
    assert.is(uid, hostUid(defaultIdMap(), 0));
    assert.ok(uid > 0, 'not host root');
  } finally {
    await removeApp(app);
  }
});

test.run();
