import '../../helpers/env.js';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inspectImage, openStore, packEntries, rebaseImage, writeLayer, type BaseLayer } from '../../../src/oci/index.js';
import { ensureStack } from '../../../src/stack/index.js';
import { bp, CNB_APPS, cnbScratch } from './helpers.js';

const s = cnbScratch('rebase');
test.after(() => s.cleanup());

/** Another "build" of the stack: a distinct base layer in the store, leaving the shared stack metadata alone. */
async function patchedStack(name: string): Promise<BaseLayer> {
  const written = await writeLayer(packEntries([{ name: 'etc/', type: 'directory', mode: 0o755, uid: 0, gid: 0 },
    { name: 'etc/patched', type: 'file', mode: 0o644, uid: 0, gid: 0, body: `patched ${s.name}\n` }]), openStore());
  return { name, diffId: written.diffId, digest: written.descriptor.digest, size: written.descriptor.size };
}

test('platform.md "Rebaser": layers up to runImage.topLayer are replaced, the rest and the labels follow', async () => {
  await s.build({ appDir: join(CNB_APPS, 'hello'), buildpacks: [bp('provider'), bp('consumer')], tag: s.tag('v1') });
  const before = await inspectImage(s.tag('v1'));
  const stack = await patchedStack('tiny');
  const result = await rebaseImage(s.tag('v1'), stack);
  assert.ok(result.changed);
  const after = await inspectImage(s.tag('v1'));
  assert.is(after.layers[0]!.diffId, stack.diffId);
  assert.equal(after.layers.slice(1), before.layers.slice(1), 'launch, app and launcher layers are untouched');
  const lifecycle = JSON.parse(after.config.config.Labels!['io.buildpacks.lifecycle.metadata']!);
  assert.is(lifecycle.runImage.topLayer, stack.diffId);
  assert.equal(lifecycle.buildpacks, JSON.parse(before.config.config.Labels!['io.buildpacks.lifecycle.metadata']!).buildpacks);
  assert.is(after.config.config.Labels!['io.dropship.stack.digest'], stack.diffId);
  assert.equal(after.config.config.Entrypoint, ['/cnb/process/web']);
  // And back onto the real build of the stack.
  const back = await rebaseImage(s.tag('v1'), await ensureStack('tiny'));
  assert.is(back.digest, before.digest, 'rebasing back gives the original image byte for byte');
});

test('a different stack (distro) is refused without --force', async () => {
  const other = await patchedStack('bookworm');
  try {
    await rebaseImage(s.tag('v1'), other);
    assert.unreachable('rebased onto another stack');
  } catch (error) {
    assert.is((error as { code?: string }).code, 'REBASE_OTHER_STACK');
  }
  const forced = await rebaseImage(s.tag('v1'), other, { force: true });
  assert.ok(forced.changed);
});

test.run();
