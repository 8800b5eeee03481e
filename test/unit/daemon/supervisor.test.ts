import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InstanceStatus, ProcessView } from '../../../src/apps/state.js';
import type { ExitInfo } from '../../../src/container/types.js';
import type { InstanceHandle, InstanceLauncher } from '../../../src/daemon/instance-launcher.js';
import { AppBackends } from '../../../src/daemon/backends.js';
import { Supervisor } from '../../../src/daemon/supervisor.js';

// The supervisor's convergence onto a release, through its one seam (the launcher): instances
// here are in-memory handles that exit when killed. The real containers are in
// test/integration/app/releases.test.ts.
const digest = (c: string) => `sha256:${c.repeat(64)}`;

function spec(release: number, imageDigest: string, change: Partial<ProcessView> = {}): ProcessView {
  return {
    name: 'app', id: 'id', hostPort: 1, createdAt: 'then', release, image: 'x:latest', imageDigest,
    processType: 'web', routed: true, instances: 2, memoryBytes: 1, diskBytes: 1, env: {}, services: {},
    healthCheck: { type: 'process', endpoint: '/', startTimeoutMs: 60_000 }, containerPort: 8080, stopTimeoutMs: 1000,
    ...change,
  };
}

function harness(options: { failing?: Set<string> } = {}) {
  const log: string[] = [];
  let launchers = 0;
  let latest: InstanceStatus[] = [];
  const makeLauncher = async (s: ProcessView): Promise<InstanceLauncher> => {
    if (options.failing?.has(s.imageDigest)) throw new Error(`image ${s.imageDigest} cannot be loaded`);
    launchers++;
    const tag = s.imageDigest.slice(7, 8);
    return {
      imageDigest: s.imageDigest,
      async start(request): Promise<InstanceHandle> {
        log.push(`start ${tag}${request.index}`);
        let exit!: (info: ExitInfo) => void;
        const exited = new Promise<ExitInfo>((resolve) => (exit = resolve));
        return {
          containerId: `${tag}${request.index}`,
          ip: '127.0.0.1',
          pid: 0,
          // No such file: the instance logs nothing.
          logPath: `/nonexistent/dropship-test/${tag}${request.index}.log`,
          wait: () => exited,
          kill: async () => {
            log.push(`stop ${tag}${request.index}`);
            exit({ exitCode: 143, signal: 'SIGTERM', oomKilled: false } as unknown as ExitInfo);
          },
          usage: async () => ({}),
          // In-memory instances have no monitor to lose.
          monitorLost: () => new Promise<void>(() => undefined),
          destroy: async () => undefined,
        };
      },
    };
  };
  const supervisor = new Supervisor(spec(1, digest('a')), {
    makeLauncher,
    backends: new AppBackends({ set: async () => undefined, remove: async () => undefined }, (error) => assert.unreachable(error.message)),
    log: () => undefined,
    event: () => undefined,
    changed: (status) => (latest = status),
  });
  const running = () => supervisor.snapshot().map((i) => [i.index, i.state, i.release, i.imageDigest?.slice(7, 8)]);
  return { supervisor, log, running, launchers: () => launchers, latest: () => latest };
}

test('update to a release on another digest replaces each instance, the new one running before the old one stops', async () => {
  const h = harness();
  await h.supervisor.start();
  assert.ok(await h.supervisor.waitUntilRunning());
  h.log.length = 0;
  await h.supervisor.update(spec(2, digest('b')));
  assert.equal(h.log, ['start b0', 'stop a0', 'start b1', 'stop a1']);
  assert.equal(h.running(), [[0, 'running', 2, 'b'], [1, 'running', 2, 'b']]);
  await h.supervisor.stopAll();
});

test('a release that changes only the count keeps the instances and makes them its own; no new launcher', async () => {
  const h = harness();
  await h.supervisor.start();
  await h.supervisor.waitUntilRunning();
  const guids = h.supervisor.snapshot().map((i) => i.guid);
  h.log.length = 0;
  await h.supervisor.update(spec(2, digest('a'), { instances: 3 }));
  await h.supervisor.waitUntilRunning();
  assert.equal(h.log, ['start a2']);
  assert.is(h.launchers(), 1);
  assert.equal(h.supervisor.snapshot().slice(0, 2).map((i) => i.guid), guids);
  assert.equal(h.running(), [[0, 'running', 2, 'a'], [1, 'running', 2, 'a'], [2, 'running', 2, 'a']]);
  await h.supervisor.stopAll();
});

test('restart --rolling onto a spec moves every instance to it, one at a time', async () => {
  const h = harness();
  await h.supervisor.start();
  await h.supervisor.waitUntilRunning();
  h.log.length = 0;
  await h.supervisor.restart({ rolling: true }, spec(5, digest('c'), { instances: 1 }));
  assert.equal(h.log, ['stop a1', 'start c0', 'stop a0']);
  assert.equal(h.running(), [[0, 'running', 5, 'c']]);
  await h.supervisor.stopAll();
});

test('cancel drops a roll whose new instance never becomes healthy: it is stopped at once, the old ones serve on, on the release put back', async () => {
  const h = harness();
  await h.supervisor.start();
  assert.ok(await h.supervisor.waitUntilRunning());
  h.log.length = 0;
  // Nothing listens on port 1: the port check of the new release never passes (within 60 s).
  const never = spec(2, digest('b'), { healthCheck: { type: 'port', endpoint: '/', startTimeoutMs: 60_000 }, containerPort: 1 });
  const roll = h.supervisor.update(never).then(() => 'converged', (error: Error & { code?: string }) => error.code);
  while (!h.log.includes('start b0')) await new Promise((r) => setTimeout(r, 5));
  await h.supervisor.cancel(spec(1, digest('a')));
  assert.is(await roll, 'ROLL_CANCELLED');
  assert.equal(h.log, ['start b0', 'stop b0'], 'no old instance was touched');
  assert.equal(h.running(), [[0, 'running', 1, 'a'], [1, 'running', 1, 'a']]);
  await h.supervisor.stopAll();
});

test('cancel after a scale up stops the instances past the count put back', async () => {
  const h = harness();
  await h.supervisor.start();
  await h.supervisor.waitUntilRunning();
  await h.supervisor.update(spec(2, digest('a'), { instances: 3 }));
  h.log.length = 0;
  await h.supervisor.cancel(spec(1, digest('a')));
  assert.equal(h.log, ['stop a2']);
  assert.equal(h.running(), [[0, 'running', 1, 'a'], [1, 'running', 1, 'a']]);
  await h.supervisor.stopAll();
});

test('a release whose image cannot be loaded fails before any instance is touched', async () => {
  const h = harness({ failing: new Set([digest('d')]) });
  await h.supervisor.start();
  await h.supervisor.waitUntilRunning();
  h.log.length = 0;
  for (const attempt of [() => h.supervisor.update(spec(2, digest('d'))), () => h.supervisor.restart({ rolling: true }, spec(2, digest('d')))]) {
    try {
      await attempt();
      assert.unreachable('must fail');
    } catch (error) {
      assert.match((error as Error).message, `image ${digest('d')} cannot be loaded`);
    }
  }
  assert.equal(h.log, []);
  assert.equal(h.running(), [[0, 'running', 1, 'a'], [1, 'running', 1, 'a']]);
  assert.is(h.supervisor.view.release, 1, 'the desired state it acts on is unchanged');
  await h.supervisor.stopAll();
});

test.run();
