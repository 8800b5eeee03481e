import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtinNames, createBuildpack, createGroup, deleteBuildpack, detectGroups, detectOrder, listBuildpacks, resolveBuildpack, updateBuildpack } from '../../../src/buildpack/index.js';
import { FIXTURE_BUILDPACKS, packTgz, rejects } from './helpers.js';

const CNB = new URL('../../../fixtures/cnb/buildpacks/', import.meta.url).pathname;

async function withHome(fn: (home: string) => Promise<void>): Promise<void> {
  const home = await mkdtemp(join(tmpdir(), 'dropship-reg-'));
  try {
    await fn(home);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}

test('built-ins are listed first-class, with position, version, stacks and source', () => withHome(async (home) => {
  const list = await listBuildpacks(home);
  assert.equal(list.map((b) => b.name), await builtinNames());
  const staticfile = list.find((b) => b.name === 'staticfile')!;
  assert.equal({ ...staticfile, origin: undefined }, { position: 1, name: 'staticfile', version: '1.0.0', stacks: ['tiny', 'bookworm'], api: 'v2', source: 'builtin', origin: undefined });
}));

test('create at a position, move it, update its files, delete it', () => withHome(async (home) => {
  const builtins = (await builtinNames()).length;
  const created = await createBuildpack('legacy', join(FIXTURE_BUILDPACKS, 'legacy-compile'), { position: 1, home });
  assert.is(created.position, 1);
  assert.is(created.source, 'registered');
  assert.equal((await listBuildpacks(home)).map((b) => b.position), Array.from({ length: builtins + 1 }, (_, i) => i + 1));
  const stored = JSON.parse(await readFile(join(home, 'buildpacks', 'registry.json'), 'utf8'));
  assert.is(stored.order[0].name, 'legacy');

  const moved = await updateBuildpack('legacy', { position: 99, home });
  assert.is(moved.position, builtins + 1);

  const tgz = packTgz('final-finalize', join(home, 'final.tgz'));
  const updated = await updateBuildpack('legacy', { path: tgz, position: 2, home });
  assert.is(updated.version, '2.1.0');
  assert.is(updated.position, 2);
  const resolved = await resolveBuildpack('legacy', 0, { home, scratchDir: join(home, 'scratch') });
  assert.ok((await stat(join(resolved.dir, 'bin', 'finalize'))).isFile());
  assert.is(resolved.source, 'registered');

  await deleteBuildpack('legacy', { home });
  assert.not.ok((await listBuildpacks(home)).some((b) => b.name === 'legacy'));
  await rejects(() => stat(join(home, 'buildpacks', 'registered', 'legacy')), /ENOENT/);
}));

test('clear errors: duplicate, unknown, built-in delete, bad name, bad position, not a buildpack', () => withHome(async (home) => {
  await createBuildpack('tool', join(FIXTURE_BUILDPACKS, 'supply-tool'), { home });
  await rejects(() => createBuildpack('tool', join(FIXTURE_BUILDPACKS, 'supply-tool'), { home }), /a buildpack named 'tool' already exists/);
  await rejects(() => deleteBuildpack('nope', { home }), /no buildpack named 'nope'/);
  await rejects(() => deleteBuildpack('staticfile', { home }), /'staticfile' is built in and cannot be deleted/);
  await rejects(() => createBuildpack('../evil', join(FIXTURE_BUILDPACKS, 'supply-tool'), { home }), /buildpack name '..\/evil' is not allowed/);
  await rejects(() => updateBuildpack('tool', { position: 0, home }), /--position: '0' is not a position/);
  await rejects(() => createBuildpack('empty', FIXTURE_BUILDPACKS, { home }), /is not a buildpack: it has no bin\/ directory/);
  await rejects(() => createBuildpack('gone', join(home, 'missing'), { home }), /does not exist/);
}));

test('a built-in can be moved in the detect order', () => withHome(async (home) => {
  await updateBuildpack('staticfile', { position: 3, home });
  assert.is((await listBuildpacks(home))[2]!.name, 'staticfile');
}));

test('order groups (buildpack create --group): listed, members looked up by id and version, tried before single buildpacks', () => withHome(async (home) => {
  await createBuildpack('prov', join(CNB, 'provider'), { home });
  await createBuildpack('cons', join(CNB, 'consumer'), { home });
  await createBuildpack('ruby', join(CNB, 'optional-ruby'), { home });
  const group = await createGroup('web-group', 'fixture/provider, fixture/optional-ruby, fixture/consumer@2.0.0', { optional: ['fixture/optional-ruby'], position: 1, home });
  assert.equal([group.position, group.name, group.api, group.source, group.origin], [1, 'web-group', 'group', 'group', 'fixture/provider,fixture/optional-ruby (optional),fixture/consumer@2.0.0']);
  assert.equal(group.members, [{ id: 'fixture/provider', optional: false }, { id: 'fixture/optional-ruby', optional: true }, { id: 'fixture/consumer', version: '2.0.0', optional: false }]);
  assert.equal(await detectGroups('tiny', home), [{ name: 'web-group', members: [{ key: 'prov', optional: false }, { key: 'ruby', optional: true }, { key: 'cons', optional: false }] }]);
  assert.not.ok((await detectOrder('tiny', home)).some((b) => b.key === 'web-group'), 'a group is not one buildpack of the order');
  await rejects(() => resolveBuildpack('web-group', 0, { home, scratchDir: join(home, 'scratch') }), /buildpack 'web-group' is an order group, not one buildpack/);
  await rejects(() => updateBuildpack('web-group', { path: join(CNB, 'provider'), home }), /'web-group' is an order group; it has no files/);
  assert.is((await updateBuildpack('web-group', { position: 2, home })).position, 2);
  await rejects(() => deleteBuildpack('cons', { home }), /'cons' is member fixture\/consumer@2.0.0 of order group 'web-group'/);
  await deleteBuildpack('web-group', { home });
  assert.not.ok((await listBuildpacks(home)).some((b) => b.name === 'web-group'));
  assert.equal(await detectGroups('tiny', home), []);
  await deleteBuildpack('cons', { home });
}));

test('order groups: clear errors for unknown members, wrong versions, V2 members, bad specs', () => withHome(async (home) => {
  await createBuildpack('prov', join(CNB, 'provider'), { home });
  await createBuildpack('legacy', join(FIXTURE_BUILDPACKS, 'legacy-compile'), { home });
  await rejects(() => createGroup('g', 'fixture/provider,fixture/nope', { home }), /--group: no registered Cloud Native Buildpack has id fixture\/nope/);
  await rejects(() => createGroup('g', 'fixture/provider@9.9.9', { home }), /--group: no registered Cloud Native Buildpack has id fixture\/provider and version 9\.9\.9/);
  await rejects(() => createGroup('g', 'legacy', { home }), /no registered Cloud Native Buildpack has id legacy/);
  await rejects(() => createGroup('g', ' , ', { home }), /names no buildpack/);
  await rejects(() => createGroup('g', 'fixture/provider@', { home }), /'fixture\/provider@' is not ID\[@VERSION\]/);
  await rejects(() => createGroup('g', 'fixture/provider,fixture/provider', { home }), /fixture\/provider appears twice/);
  await rejects(() => createGroup('g', 'fixture/provider', { optional: ['fixture/other'], home }), /--optional: fixture\/other is not in --group/);
  await rejects(() => createGroup('prov', 'fixture/provider', { home }), /a buildpack named 'prov' already exists/);
  assert.not.ok((await listBuildpacks(home)).some((b) => b.name === 'g'), 'nothing was registered');
}));

test.run();
