import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { commitRelease } from '../../../src/apps/releases.js';
import { stackMarks } from '../../../src/apps/stack-marks.js';
import type { AppSpec, InstanceStatus, ReleaseStack } from '../../../src/apps/state.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
let home = '';
const saved = process.env.DROPSHIP_HOME;

function spec(stack: ReleaseStack | null | undefined): Omit<AppSpec, 'release'> {
  return {
    name: 'a', id: 'id-1', hostPort: 61001, createdAt: '2026-01-01T00:00:00.000Z',
    image: 'x:1', imageDigest: digest('1'), ...(stack === undefined ? {} : { stack }),
    processes: [{ type: 'web', instances: 1, memoryBytes: 256 << 20, diskBytes: 1 << 30, healthCheck: { type: 'port', endpoint: '/', startTimeoutMs: 60_000 } }],
    env: {}, services: {}, containerPort: 8080, stopTimeoutMs: 10_000,
  };
}

const instance = (release: number): InstanceStatus => ({ index: 0, guid: 'g', state: 'running', restarts: 0, crashCount: 0, since: '2026-01-01T00:00:00.000Z', release });

async function currentBuild(name: string, diffId: string): Promise<void> {
  await mkdir(join(home, 'stacks'), { recursive: true });
  await writeFile(join(home, 'stacks', `${name}.json`), JSON.stringify({ name, diffId, history: [] }));
}

test.before.each(async () => {
  home = await mkdtemp(join(tmpdir(), 'dropship-stack-marks-unit-'));
  process.env.DROPSHIP_HOME = home;
});

test.after.each(async () => {
  await rm(home, { recursive: true, force: true });
  if (saved === undefined) delete process.env.DROPSHIP_HOME;
  else process.env.DROPSHIP_HOME = saved;
});

test('a release on an older build than the stack current one is outdated; the instance of an earlier release gets that release mark', async () => {
  await currentBuild('tiny', digest('b'));
  await commitRelease(spec({ name: 'tiny', build: digest('a') }), 'run');
  const current = await commitRelease(spec({ name: 'tiny', build: digest('b') }), 'rebase');
  const marks = await stackMarks(current, [instance(1), instance(2)]);
  assert.equal(marks.get(1), { name: 'tiny', build: digest('a'), current: digest('b'), outdated: true });
  assert.equal(marks.get(2), { name: 'tiny', build: digest('b'), current: digest('b'), outdated: false });
});

test('unknown: a release from before stacks were recorded (undefined), an image without a stack (null), a stack never built here, a name that is no store name', async () => {
  const old = await commitRelease(spec(undefined), 'run');
  assert.is((await stackMarks(old, [])).get(1), undefined);
  const none = await commitRelease(spec(null), 'run');
  assert.is((await stackMarks(none, [])).get(2), null);
  const unbuilt = await commitRelease(spec({ name: 'bookworm', build: digest('a') }), 'run');
  assert.equal((await stackMarks(unbuilt, [])).get(3), { name: 'bookworm', build: digest('a'), outdated: false });
  // An image label may say anything: '../x' must not read stacks/../x.json.
  await writeFile(join(home, 'x.json'), JSON.stringify({ diffId: digest('c') }));
  const crafted = await commitRelease(spec({ name: '../x', build: digest('a') }), 'run');
  assert.equal((await stackMarks(crafted, [])).get(4), { name: '../x', build: digest('a'), outdated: false });
});

test('a damaged stack record leaves the build unknown rather than failing ps', async () => {
  await mkdir(join(home, 'stacks'), { recursive: true });
  await writeFile(join(home, 'stacks', 'tiny.json'), '{not json');
  const current = await commitRelease(spec({ name: 'tiny', build: digest('a') }), 'run');
  assert.equal((await stackMarks(current, [])).get(1), { name: 'tiny', build: digest('a'), outdated: false });
});

test.run();
