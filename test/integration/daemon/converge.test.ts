import '../../helpers/env.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';
import { deployImage } from '../../../src/push/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { commitTinyApp, writeHttpdApp } from '../../helpers/tiny-app-image.js';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { dropship, eventually, leaseShorts } from '../app/helpers.js';
import { closePrivateStore, freePort, killDaemon9, pollingClient, runtimeState } from './helpers.js';
import { APP_LABEL, INSTANCE_LABEL, PROCESS_LABEL } from '../../../src/apps/index.js';
import { DIGEST_LABEL, RELEASE_LABEL, instanceDirs } from '../../../src/daemon/paths.js';

// A store of its own: the daemon is killed mid-roll, which must not touch the shared store's.
const test = suite('converge on adoption');
const sharedHome = process.env.DROPSHIP_HOME;
const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
let home = '';
const app = uniqueName('cvg');
const TAG = `dropship-apps/${app}:latest`;
const shorts = new Set<string>();
let hostPort = 0;

interface Instance { index: number; state: string; release?: number; imageDigest?: string; containerId?: string }

async function instances(): Promise<Instance[]> {
  const ps = await dropship('ps', app, '--json');
  assert.is(ps.exitCode, 0, ps.stderr);
  return (JSON.parse(ps.stdout)[0].instances as Instance[]).sort((a, b) => a.index - b.index);
}

/** The app at `version` under the app's tag: it answers `instance N VERSION` (what pollingClient counts as served). */
async function buildVersion(version: string): Promise<string> {
  const work = await mkdtemp(join(home, 'image-'));
  // Not the 0700 temp dir itself: it would be /app, which vcap could not read.
  const dir = join(work, 'app');
  try {
    await writeHttpdApp(dir, `instance %s ${version}`);
    return await commitTinyApp(TAG, await ensureStack('tiny'), dir);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

test.before(async () => {
  if (!isRoot) return;
  home = await mkdtemp('/var/tmp/dropship-converge-');
  await chmod(home, 0o755);
  process.env.DROPSHIP_HOME = home;
});

test.after(async () => {
  if (isRoot) assert.equal(await closePrivateStore(app, home, shorts, sharedHome), []);
  process.env.DROPSHIP_HOME = sharedHome;
});

test('kill -9 of the daemon during restart --rolling: the next daemon rolls every instance onto the current release, no request failed', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and conmon');
  const v1 = await buildVersion('v1');
  const run = await dropship('run', TAG, '--name', app, '-d', '-i', '3', '-p', String(await freePort()), '--stop-timeout', '2', '--json');
  assert.is(run.exitCode, 0, run.stderr);
  hostPort = JSON.parse(run.stdout).hostPort;
  const v2 = await buildVersion('v2');
  // Release 2 is made and nothing restarted onto it (the instances keep running release 1)...
  const deployed = await deployImage({ name: app, image: TAG, stopTimeout: 2 }, { strategy: 'rolling', noStart: true });
  assert.is(deployed.spec.release, 2);
  const before = await instances();
  assert.equal(before.map((i) => [i.state, i.release, i.imageDigest]), [['running', 1, v1], ['running', 1, v1], ['running', 1, v1]]);
  for (const short of await leaseShorts(app)) shorts.add(short);
  const client = pollingClient(hostPort);
  let after: Instance[];
  let polled: { ok: number; failed: string[] } | undefined;
  try {
    // ...then a rolling restart onto it, and the daemon killed once its first new instance serves.
    const restart = execa(process.execPath, ['--import', 'tsx', MAIN, 'restart', app, '--rolling'], { reject: false, env: process.env });
    await eventually(async () => (await instances()).some((i) => i.release === 2 && i.state === 'running'), 'a first instance of release 2', 300, 50);
    await killDaemon9();
    restart.kill('SIGKILL');
    await restart;
    const mid = await instances(); // a new daemon, which adopts them
    assert.ok(mid.some((i) => i.release === 1), `the roll was cut short: ${JSON.stringify(mid.map((i) => i.release))}`);
    after = await eventually(async () => {
      const list = await instances();
      for (const short of await leaseShorts(app)) shorts.add(short);
      if (list.length !== 3 || !list.every((i) => i.state === 'running' && i.release === 2)) return undefined;
      // A replaced instance leaves ps at once, and stops after its drain.
      for (const i of before) if ((await runtimeState(i.containerId!)) !== undefined) return undefined;
      return list;
    }, 'every instance on release 2 and the old ones stopped', 150);
    polled = await client.stop();
  } finally {
    // A failed wait must not leave the client polling: the suite would never end.
    if (!polled) await client.stop();
  }
  const { ok, failed } = polled;
  assert.equal(failed, [], 'no request failed');
  assert.ok(ok > 0, `the client got answers (${ok})`);
  assert.equal(after.map((i) => i.imageDigest), [v2, v2, v2]);
  const runc = String((await execa('runc', ['list', '-q'])).stdout).split('\n').filter((id) => id.startsWith(`dropship-${app}-`));
  assert.equal(runc.sort(), after.map((i) => i.containerId!).sort(), 'no instance besides the three');
});

// A daemon killed between runc create and start leaves a container in runc's `created` state: its
// init waits for a start nobody will send. Taken for an instance of the current release, it was
// kept over the running one of its index, which was stopped, and the next daemon waited for a
// health check that could never pass: it did not answer for a minute.
test('a container left created, never started, by a killed daemon is removed; the running instances are kept', async () => {
  if (!isRoot) return console.log('skip: needs root for runc and conmon');
  const running = await instances();
  assert.equal(running.map((i) => [i.state, i.release]), [['running', 2], ['running', 2], ['running', 2]]);
  const id = `dropship-${app}-web-0-deadbeef`;
  // What the launcher would make for instance 0 of release 2, made by a process killed -9 where a
  // daemon's kill would stop it: after runc create, before start.
  const src = new URL('../../../src/', import.meta.url).pathname;
  const labels = { [APP_LABEL]: app, [PROCESS_LABEL]: 'web', [INSTANCE_LABEL]: '0', [RELEASE_LABEL]: '2', [DIGEST_LABEL]: running[0]!.imageDigest! };
  const script = `
    import { createContainer } from '${src}container/index.ts';
    import { tinyLowerDirs } from '${new URL('../container/tiny.ts', import.meta.url).pathname}';
    await createContainer({ id: '${id}', lowerDirs: await tinyLowerDirs(), args: ['/bin/sleep', '600'], user: 'vcap', network: 'none',
      labels: ${JSON.stringify(labels)},
      monitor: ${JSON.stringify({ logPath: join(instanceDirs().logs, `${id}.log`), exitDir: instanceDirs().exits })},
      beforeStart: () => new Promise(() => undefined) });
  `;
  const creator = execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { reject: false, env: process.env });
  await eventually(async () => (await runtimeState(id))?.status === 'created', 'the container to be created', 300, 50);
  creator.kill('SIGKILL');
  await creator;
  const client = pollingClient(hostPort);
  let polled: { ok: number; failed: string[] } | undefined;
  try {
    await killDaemon9();
    const after = await instances(); // a new daemon
    assert.equal(after.map((i) => i.containerId), running.map((i) => i.containerId), 'the same three instances, none restarted');
    await eventually(async () => (await runtimeState(id)) === undefined, 'the created container to be removed', 150);
    polled = await client.stop();
  } finally {
    if (!polled) await client.stop();
  }
  assert.equal(polled.failed, [], 'no request failed');
  const events = JSON.parse((await dropship('events', app, '--json')).stdout) as Array<{ type: string; message: string }>;
  assert.ok(events.some((e) => e.type === 'recover' && e.message.includes(`${id} was created but never started`)), JSON.stringify(events.slice(-5)));
});

test.run();
