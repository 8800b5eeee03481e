import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildSpec, type OciSpec, type SpecOptions } from '../../../../src/container/spec/index.js';
import { INIT_ARGS, INIT_PATH, initRule } from '../../../../src/container/spec/init.js';
import { baseRule } from '../../../../src/container/spec/process.js';
import { mountsRule } from '../../../../src/container/spec/mounts.js';
import { defaultIdMap } from '../../../../src/security/idmap.js';

function options(overrides: Partial<SpecOptions> = {}): SpecOptions {
  return {
    args: ['/bin/httpd', '-f'],
    env: {},
    cwd: '/',
    user: { uid: 2000, gid: 2000, additionalGids: [] },
    hostname: 'c',
    rootfs: '/r',
    mounts: [{ source: '/host/app', destination: '/app' }],
    limits: { cpuShares: 2, pids: 10, nofile: 10 },
    idMap: defaultIdMap({}),
    cgroupsPath: '/dropship/c/init',
    annotations: {},
    ...overrides,
  };
}

const withMounts = (o: SpecOptions): OciSpec => mountsRule(baseRule({} as OciSpec, o), o);

test('init: tini runs the command as docker --init does, bound read-only, nosuid, nodev', () => {
  const o = options({ init: '/usr/bin/tini-static' });
  const spec = initRule(withMounts(o), o);
  assert.equal(spec.process.args, ['/dev/init', '-s', '-g', '--', '/bin/httpd', '-f']);
  assert.equal(INIT_ARGS, ['-s', '-g', '--']);
  const mount = spec.mounts.at(-1)!;
  assert.equal(mount, { destination: INIT_PATH, type: 'bind', source: '/usr/bin/tini-static', options: ['bind', 'ro', 'nosuid', 'nodev'] });
  assert.ok(spec.mounts.some((m) => m.destination === '/app'), 'the other mounts stay');
});

test('init: none given (processes started by exec) leaves the spec as it was', () => {
  const o = options();
  const before = withMounts(o);
  assert.is(initRule(before, o), before);
});

test('init: buildSpec applies it after the mounts, and does not change its input', () => {
  const o = options({ init: '/usr/bin/tini-static' });
  const spec = buildSpec(o);
  assert.is(spec.process.args[0], '/dev/init');
  assert.is(spec.mounts.filter((m) => m.destination === '/dev/init').length, 1);
  assert.equal(o.args, ['/bin/httpd', '-f']);
});

test.run();
