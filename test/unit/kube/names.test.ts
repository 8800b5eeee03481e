import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { labelValue, objectName } from '../../../src/kube/names.js';

test('a name that is already a DNS label stays as it is', () => {
  assert.is(objectName('shop-web'), 'shop-web');
  assert.is(objectName('a1'), 'a1');
});

test('names that must change get a hash of the original, so two apps never share one', () => {
  const a = objectName('My_App');
  const b = objectName('my-app');
  assert.match(a, /^my-app-[0-9a-f]{6}$/);
  assert.is(b, 'my-app');
  assert.is.not(a, b);
  assert.is.not(objectName('my.app'), objectName('my_app'));
  assert.match(objectName('9lives'), /^app-9lives-[0-9a-f]{6}$/, 'Service names must start with a letter');
  assert.match(objectName('--'), /^app-[0-9a-f]{6}$/);
});

test('long names are cut to the limit and stay distinct', () => {
  const long = objectName('x'.repeat(63) + '-web');
  const other = objectName('x'.repeat(63) + '-worker');
  assert.ok(long.length <= 52 && other.length <= 52);
  assert.is.not(long, other);
  assert.match(long, /^[a-z]([-a-z0-9]*[a-z0-9])?$/);
  assert.ok(objectName('y'.repeat(80), 63).length <= 63);
});

test('label values: allowed characters, 63 at most, alphanumeric ends', () => {
  assert.is(labelValue('My_App.v2'), 'My_App.v2');
  assert.is(labelValue('_x_'), 'x');
  assert.is(labelValue('a b/c'), 'a-b-c');
  assert.is(labelValue('z'.repeat(70)).length, 63);
  assert.is(labelValue('...'), 'x');
});

test.run();
