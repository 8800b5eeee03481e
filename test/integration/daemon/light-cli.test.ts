import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { ensureTestImage } from '../app/fixture.js';
import { dropship, removeApp } from '../app/helpers.js';

const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const RECORD = fileURLToPath(new URL('../../helpers/record-imports.mjs', import.meta.url));
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));
/** What a command that only asks the daemon must never load: images, the registry, staging, stacks, buildpacks, the runtime. */
const HEAVY = /^(oci|staging|buildpack|stack|push|container|network|cnb)\//;
/** Light modules of heavy rooms (see .dependency-cruiser.cjs): an env name, -p parsing, a stack's build record. */
const LIGHT = new Set(['staging/env.ts', 'network/ports.ts', 'stack/stack-file.ts']);

/** The src/ modules a CLI command loads (relative to src/), and the packages (node_modules/NAME). */
async function loadedBy(...args: string[]): Promise<string[]> {
  return (await loadedWithPackages(...args)).src;
}

async function loadedWithPackages(...args: string[]): Promise<{ src: string[]; packages: string[] }> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-imports-'));
  try {
    const file = join(dir, 'imports.txt');
    const run = await execa(process.execPath, ['--import', 'tsx', '--import', RECORD, MAIN, ...args], { env: { ...process.env, RECORD_IMPORTS: file }, reject: false });
    assert.is(run.exitCode, 0, String(run.stderr));
    const paths = (await readFile(file, 'utf8')).split('\n').filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
    const packages = paths.flatMap((path) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path)?.[1] ?? []);
    return {
      src: [...new Set(paths.filter((path) => path.startsWith(SRC)).map((path) => path.slice(SRC.length)))].sort(),
      packages: [...new Set(packages)].sort(),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('apps, app, ps, logs, events and daemon status of a running app load no image, registry, staging or runtime code', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const app = uniqueName('dmnlight');
  try {
    const run = await dropship('run', await ensureTestImage(), '--name', app, '-d');
    assert.is(run.exitCode, 0, run.stderr);
    for (const args of [['apps'], ['app', app], ['ps', app], ['logs', app], ['events', app], ['daemon', 'status']]) {
      const loaded = await loadedBy(...args);
      assert.ok(loaded.includes('apps/index.ts'), `${args[0]} loads the app API (the recording works)`);
      assert.equal(loaded.filter((path) => HEAVY.test(path) && !LIGHT.has(path)), [], `${args.join(' ')} loads only what asking the daemon needs`);
    }
  } finally {
    await removeApp(app);
  }
});

test('run -d loads no image, registry, staging or runtime code: the daemon makes and starts the app in one request', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const app = uniqueName('dmnlightrun');
  try {
    const loaded = await loadedBy('run', await ensureTestImage(), '--name', app, '-d', '--stop-timeout', '1');
    assert.ok(loaded.includes('apps/run-request.ts'), 'run -d asks the daemon (the recording works)');
    assert.equal(loaded.filter((path) => HEAVY.test(path) && !LIGHT.has(path)), [], 'only the options and the daemon client');
    assert.not.ok(loaded.includes('apps/api.ts'), 'not the app API, which loads the image code');
    const ps = await dropship('ps', app, '--json');
    const [summary] = JSON.parse(ps.stdout) as Array<{ instances: Array<{ state: string }> }>;
    assert.equal(summary!.instances.map((i) => i.state), ['running'], 'and the app it made runs');
  } finally {
    await removeApp(app);
  }
});

test('a task on a bare stack loads no image-building, registry, staging or app code, nor execa or got', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const { src, packages } = await loadedWithPackages('run-task', '--stack', 'tiny', '--', 'true');
  assert.ok(src.includes('container/container.ts'), 'the task runs a container (the recording works)');
  const heavy = /^(oci\/(index|registry|image-build|layer-write|tar-write)|staging|buildpack|push|cnb|apps|daemon|stack\/(build|update)[.]ts)/;
  assert.equal(src.filter((path) => heavy.test(path) && !LIGHT.has(path)), [], 'only the stack, the unpack cache and the runtime');
  assert.equal(packages.filter((name) => name === 'execa' || name === 'got'), [], 'host tools through plain spawn; no HTTP client');
  assert.equal(src.filter((path) => path.startsWith('cli/')).sort(), ['cli/commands.ts', 'cli/main.ts', 'cli/output.ts', 'cli/run-task.ts'], 'only the command that runs is registered');
  const unneeded = ['network/ports.ts', 'container/adopt.ts', 'container/list.ts', 'container/log-file.ts'];
  assert.equal(src.filter((path) => unneeded.includes(path)), [], 'no -p parsing without -p; no adoption, listing or log reading');
});

test.run();
