import { TEST_HOME, uniqueName } from '../../helpers/env.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { homePaths } from '../../../src/home.js';
import { ensureUnpacked, openStore } from '../../../src/oci/index.js';
import { buildImage } from '../../../src/oci/image-build.js';
import { resolveImage } from '../../../src/oci/image.js';
import { rebaseImage } from '../../../src/oci/rebase.js';
import { defaultIdMap } from '../../../src/security/idmap.js';
import { buildStack, diffStack, getStack, readSbom, updateStack } from '../../../src/stack/index.js';
import { packagesDigest } from '../../../src/stack/packages.js';
import { type AptFixture, makeAptFixture } from '../../helpers/apt-fixture.js';

// tiny built from a local "mirror" the test changes: a real package update (ca-certificates
// 20230311+deb12u1 → the security update), with real apt, the real recipe and real layers.
const OLD_CA = /^ca-certificates_2023/;
const NEW_CA = /^ca-certificates_2025/;
const cli = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
const home = homePaths(join(TEST_HOME, 'tmp', uniqueName('stack-update')));
const previousAptConfig = process.env.APT_CONFIG;
let fixture: AptFixture | undefined;
let skip = '';

test.before(() => {
  const made = makeAptFixture(join(TEST_HOME, 'tmp', uniqueName('apt-fixture')), ['bash-static', 'busybox-static', 'ca-certificates=20230311+deb12u1', 'ca-certificates']);
  if (typeof made === 'string') {
    skip = made;
    console.log(`skipping stack update tests: ${made}`);
    return;
  }
  fixture = made;
  if (!fixture.pool.some((d) => OLD_CA.test(d)) || !fixture.pool.some((d) => NEW_CA.test(d))) {
    skip = `the mirror does not hold both ca-certificates versions: ${fixture.pool.join(', ')}`;
    console.log(`skipping stack update tests: ${skip}`);
    return;
  }
  fixture.publish(fixture.pool.filter((d) => !NEW_CA.test(d)));
  process.env.APT_CONFIG = fixture.env.APT_CONFIG;
});
test.after(async () => {
  if (previousAptConfig === undefined) delete process.env.APT_CONFIG;
  else process.env.APT_CONFIG = previousAptConfig;
  fixture?.remove();
  await rm(home.root, { recursive: true, force: true });
});

const dropship = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', cli, ...args], { encoding: 'utf8', env: { ...process.env, DROPSHIP_HOME: home.root } });

test('stack update: the same mirror gives the same build; a changed package a new build, its diff and SBOM; stack build does not rebuild', async () => {
  if (skip) return;
  const first = await buildStack('tiny', { home });
  assert.is(first.sbom?.packages, 3);
  const firstSbom = await readSbom(home, 'tiny', first.diffId);
  assert.equal(
    firstSbom?.packages.filter((p) => p.name === 'ca-certificates').map((p) => p.versionInfo),
    ['20230311+deb12u1'],
  );

  const same = await updateStack('tiny', { home });
  assert.is(same.changed, false);
  assert.is(same.info.diffId, first.diffId, 'nothing changed: the same layer');
  assert.equal(await getStack('tiny', home), first, 'and nothing was recorded');

  fixture!.publish(fixture!.pool);
  assert.equal(await buildStack('tiny', { home }), first, 'stack build rebuilds only when the recipe changed');

  const updated = await updateStack('tiny', { home });
  assert.is(updated.changed, true);
  assert.is.not(updated.info.diffId, first.diffId);
  assert.equal(updated.info.history.map((b) => b.diffId), [first.diffId]);
  const newCa = fixture!.pool.find((d) => NEW_CA.test(d))!.split('_')[1]!;
  assert.equal(updated.diff, { changed: [{ name: 'ca-certificates', arch: 'all', from: '20230311+deb12u1', to: newCa }], added: [], removed: [] });
  assert.equal(await diffStack('tiny', { home }), { stack: 'tiny', from: updated.info.history[0], to: (({ name: _n, history: _h, ...b }) => b)(updated.info), ...updated.diff! });

  // From the layers themselves: the CA bundle is the new package's, and the marker names the new package list.
  const oldRoot = await ensureUnpacked(first.diffId, defaultIdMap({}), home);
  const newRoot = await ensureUnpacked(updated.info.diffId, defaultIdMap({}), home);
  assert.is.not(readFileSync(join(newRoot, 'etc/ssl/certs/ca-certificates.crt'), 'utf8'), readFileSync(join(oldRoot, 'etc/ssl/certs/ca-certificates.crt'), 'utf8'));
  const sbom = (await readSbom(home, 'tiny', updated.info.diffId))!;
  const packages = sbom.packages.slice(1).map((p) => ({ name: p.name, version: p.versionInfo, arch: p.externalRefs![0]!.referenceLocator.split('arch=')[1]! }));
  assert.match(readFileSync(join(newRoot, 'etc/dropship-stack-build'), 'utf8'), `\nDROPSHIP_STACK_PACKAGES=${packagesDigest(packages)}\n`);

  const diff = dropship('stack', 'diff', 'tiny');
  assert.is(diff.status, 0, diff.stderr);
  assert.match(diff.stdout, `\n  ca-certificates 20230311+deb12u1 → ${newCa}\n`);
  const json = JSON.parse(dropship('stack', 'diff', 'tiny', 'current', '~1', '--json').stdout);
  assert.equal(json.changed, [{ name: 'ca-certificates', arch: 'all', from: newCa, to: '20230311+deb12u1' }]);
  const again = dropship('stack', 'update', 'tiny');
  assert.is(again.status, 0, again.stderr);
  assert.match(again.stdout, /^stack tiny: no package changed; current build [0-9a-f]{12} \(3 packages\)\n$/);
});

test('images carry the SBOM digest and package count; a rebase moves them with the layer', async () => {
  if (skip) return;
  const current = (await getStack('tiny', home))!;
  const older = current.history[0]!;
  const store = openStore(home);
  const droplet = join(home.tmp, 'droplet.tgz');
  const src = join(home.tmp, 'droplet-src');
  execFileSync('sh', ['-c', `mkdir -p ${src}/app && echo hi > ${src}/app/hello && tar -czf ${droplet} -C ${src} .`]);
  const image = await buildImage({ droplet, stack: current, tag: 'sbom-label:v1', store });
  const labels = (await resolveImage(store, 'sbom-label:v1')).config.config.Labels!;
  assert.is(labels['io.dropship.stack.sbom'], current.sbom!.digest);
  assert.is(labels['io.dropship.stack.packages'], '3');
  const sbomFile = await readFile(join(home.stacks, 'tiny', `${current.diffId.slice(7)}.spdx.json`));
  assert.is(`sha256:${(await import('node:crypto')).createHash('sha256').update(sbomFile).digest('hex')}`, current.sbom!.digest);
  await rebaseImage('sbom-label:v1', { name: 'tiny', ...older }, { store });
  const rebased = (await resolveImage(store, 'sbom-label:v1')).config.config.Labels!;
  assert.is(rebased['io.dropship.stack.sbom'], older.sbom!.digest);
  assert.is(rebased['io.dropship.stack.digest'], older.diffId);
  assert.is.not(image.digest, (await resolveImage(store, 'sbom-label:v1')).descriptor.digest);
});

test('a stack update that fails records nothing and leaves no build directory', async () => {
  if (skip) return;
  const before = await readFile(join(home.stacks, 'tiny.json'), 'utf8');
  fixture!.breakSources();
  try {
    await updateStack('tiny', { home });
    assert.unreachable('should fail');
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.is((error as DropshipError).code, 'STACK_BUILD_FAILED');
    assert.match((error as DropshipError).message, /error: apt-get update failed$/);
  }
  assert.is(await readFile(join(home.stacks, 'tiny.json'), 'utf8'), before);
  assert.equal((await readdir(home.tmp)).filter((n) => n.startsWith('stack-')), []);
});

test.run();
