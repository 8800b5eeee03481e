import '../helpers/env.js';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TEST_HOME } from '../helpers/env.js';
import { listContainers } from '../../src/container/index.js';
import { isDropshipError } from '../../src/errors.js';
import { inspectImage, openStore } from '../../src/oci/index.js';
import { CNB_APPS, cnbScratch } from '../integration/cnb/helpers.js';

/**
 * A malicious Cloud Native Buildpack attacks the host through what it leaves in its layers dir:
 * symlinks where the lifecycle reads tomls and env files, a layer directory that is a link to a
 * host directory, and a process left running after bin/build. Everything is asserted on the host.
 */

const s = cnbScratch('evil');
let dir: string;
let secret: string;
const MARKER = 'SECRET-MARKER-7f3a';

async function evilBuildpack(name: string, build: string): Promise<string> {
  const bp = join(dir, name);
  await mkdir(join(bp, 'bin'), { recursive: true });
  await writeFile(join(bp, 'buildpack.toml'), `api = "0.12"\n[buildpack]\nid = "evil/${name}"\nversion = "6.6.6"\n`);
  await writeFile(join(bp, 'bin', 'detect'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  await writeFile(join(bp, 'bin', 'build'), `#!/bin/sh\nset -e\nlayers=$1\n${build}\n`, { mode: 0o755 });
  await chmod(bp, 0o755);
  await chmod(dir, 0o755);
  return bp;
}

test.before(async () => {
  dir = await mkdtemp(join(TEST_HOME, 'tmp', 'cnb-evil-'));
  secret = join(dir, 'host-secret');
  await writeFile(secret, `${MARKER}\n`, { mode: 0o600 });
});

test.after(async () => {
  await s.cleanup();
  await rm(dir, { recursive: true, force: true });
});

test('symlinked tomls and env files are never read on the host; a leftover process dies with the build', async () => {
  const bp = await evilBuildpack('links', [
    `ln -s ${secret} "$layers/leak.toml"`,
    `ln -s ${secret} "$layers/launch.toml"`,
    'mkdir -p "$layers/web/env.launch" "$layers/web/env"',
    `ln -s ${secret} "$layers/web/env/LEAK"`,
    `ln -s ${secret} "$layers/web/env.launch/LEAK2"`,
    'printf "[types]\\nlaunch = true\\nbuild = true\\ncache = true\\n" >"$layers/web.toml"',
    // A process that outlives bin/build, trying to swap a file for a link while the host looks.
    `(while :; do rm -f "$layers/web.toml"; ln -sf ${secret} "$layers/web.toml" 2>/dev/null; sleep 0.01; done) >/dev/null 2>&1 &`,
  ].join('\n'));
  const lines: string[] = [];
  const r = await s.build({ appDir: join(CNB_APPS, 'hello'), buildpacks: [bp], tag: s.tag('v1'), lines }).catch((e: unknown) => e);
  // Whether the race let the buildpack's layer count or not, nothing of the secret may show anywhere.
  const shown = (isDropshipError(r) ? `${r.message} ${r.hint} ${JSON.stringify(r.details ?? {})}` : JSON.stringify(r)) + lines.join('\n');
  assert.not.ok(shown.includes(MARKER), 'the secret leaked into the result, an error or the log');
  if (!(r instanceof Error)) {
    const image = await inspectImage(s.tag('v1'));
    assert.not.ok(JSON.stringify(image.config).includes(MARKER), 'the secret leaked into the image config');
    for (const layer of image.layers.slice(1)) {
      const bytes = await readFile(openStore().blobs.path(layer.digest));
      assert.not.ok(bytes.includes(MARKER), `the secret was packed into layer ${layer.digest}`);
    }
  }
  assert.is(await readFile(secret, 'utf8'), `${MARKER}\n`);
  assert.is((await stat(secret)).mode & 0o777, 0o600);
  const left = (await listContainers()).filter((c) => c.labels.app === s.name);
  assert.equal(left, [], 'the build container (and the process left behind) is gone');

  // The next build restores the cache from that tree: links are removed, never followed or written through.
  await s.build({ appDir: join(CNB_APPS, 'hello'), buildpacks: [await evilBuildpack('quiet', 'true')], tag: s.tag('v2') });
  assert.is(await readFile(secret, 'utf8'), `${MARKER}\n`, 'the restore wrote through a planted link');
});

test('a launch layer whose directory is a link to a host directory is refused, not packed', async () => {
  const hostDir = join(dir, 'host-dir');
  await mkdir(hostDir, { recursive: true });
  await writeFile(join(hostDir, 'file'), MARKER);
  const bp = await evilBuildpack('dirlink', [
    `ln -s ${hostDir} "$layers/stolen"`,
    'printf "[types]\\nlaunch = true\\n" >"$layers/stolen.toml"',
  ].join('\n'));
  const error = await s.build({ appDir: join(CNB_APPS, 'hello'), buildpacks: [bp], tag: s.tag('v3') }).catch((e: unknown) => e);
  assert.ok(isDropshipError(error), String(error));
  assert.is(error.code, 'CNB_LAYER_NOT_REUSABLE');
  assert.match(error.message, /^buildpack evil\/dirlink: layer stolen: /);
  assert.is(await openStore().layout.getRef(s.tag('v3')), undefined, 'no image was tagged');
});

test.run();
