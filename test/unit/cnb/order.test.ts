import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseDescriptor } from '../../../src/cnb/descriptor.js';
import { checkDistinctLayersDirs, groupsFrom, type CnbBuildpack } from '../../../src/cnb/order.js';

const bp = (id: string, version = '1', order = ''): CnbBuildpack => ({
  key: id, dir: `/bp/${id}`, descriptor: parseDescriptor(`api = "0.12"\n[buildpack]\nid = "${id}"\nversion = "${version}"\n${order}`, `/bp/${id}/buildpack.toml`),
});
const ids = (groups: ReturnType<typeof groupsFrom>) => groups.map((g) => g.map((m) => m.bp.descriptor.id + (m.optional ? '?' : '')));

test('plain -b buildpacks form one group in the order given', () => {
  assert.equal(ids(groupsFrom([bp('a'), bp('b')])), [['a', 'b']]);
});

test('a composite contributes each [[order]] group; its members are not groups of their own', () => {
  const meta = bp('meta', '1', '[[order]]\n[[order.group]]\nid = "a"\n[[order.group]]\nid = "b"\noptional = true\n[[order]]\n[[order.group]]\nid = "c"\n');
  assert.equal(ids(groupsFrom([meta, bp('a'), bp('b'), bp('c')])), [['a', 'b?'], ['c']]);
  assert.equal(ids(groupsFrom([bp('x'), meta, bp('a'), bp('b'), bp('c')])), [['x', 'a', 'b?'], ['x', 'c']]);
});

test('a member named with a version must match it; a missing member is an error naming the composite and field', () => {
  const meta = bp('meta', '1', '[[order]]\n[[order.group]]\nid = "a"\nversion = "2"\n');
  assert.throws(() => groupsFrom([meta, bp('a', '1')]), /^\/bp\/meta\/buildpack\.toml: order\[0\]\.group\[0\]: buildpack a@2 of composite meta was not given$/);
  assert.equal(ids(groupsFrom([meta, bp('a', '2')])), [['a']]);
});

test('a composite that contains itself is refused', () => {
  const loop = bp('loop', '1', '[[order]]\n[[order.group]]\nid = "loop"\n');
  assert.throws(() => groupsFrom([loop]), /nests composites more than 8 deep/);
});


test('the detect order without -b: each top-level buildpack (a composite: each of its groups) is a group of its own', async () => {
  const { orderGroups } = await import('../../../src/cnb/order.js');
  const meta = bp('meta', '1', '[[order]]\n[[order.group]]\nid = "a"\n[[order]]\n[[order.group]]\nid = "b"\n');
  assert.equal(ids(orderGroups([bp('x'), meta, bp('a'), bp('b')])), [['x'], ['a'], ['b']]);
});

test('two members of a group that would share a layers dir (same id, or a/b and a_b) are refused, naming both', () => {
  assert.throws(() => checkDistinctLayersDirs(groupsFrom([bp('x/y'), bp('z'), bp('x_y')])),
    (e: Error) => e.message === 'buildpacks x/y and x_y (x/y and x_y) in one group: they would share the layers dir /layers/x_y');
  assert.throws(() => checkDistinctLayersDirs(groupsFrom([bp('a'), bp('a')])), /^buildpacks a and a are both a in one group/);
  const meta = bp('meta', '1', '[[order]]\n[[order.group]]\nid = "a"\n[[order]]\n[[order.group]]\nid = "a"\n');
  checkDistinctLayersDirs(groupsFrom([meta, bp('a')]));
});

test.run();
