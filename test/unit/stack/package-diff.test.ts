import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { diffPackages, formatPackageDiff, isEmptyDiff } from '../../../src/stack/package-diff.js';

const p = (name: string, version: string, arch = 'amd64') => ({ name, version, arch });

test('changed, added and removed packages, sorted by name', () => {
  const diff = diffPackages([p('openssl', '3.0.15'), p('wget', '1.21'), p('bash', '5.2')], [p('bash', '5.2'), p('openssl', '3.0.17'), p('curl', '7.88.1')]);
  assert.equal(diff, {
    changed: [{ name: 'openssl', arch: 'amd64', from: '3.0.15', to: '3.0.17' }],
    added: [p('curl', '7.88.1')],
    removed: [p('wget', '1.21')],
  });
  assert.equal(formatPackageDiff(diff), ['openssl 3.0.15 → 3.0.17', '+ curl 7.88.1', '- wget 1.21']);
  assert.is(isEmptyDiff(diff), false);
});

test('the same lists: no change', () => {
  const list = [p('bash', '5.2'), p('tzdata', '2024a', 'all')];
  assert.ok(isEmptyDiff(diffPackages(list, [...list].reverse())));
});

test('a package that changed architecture is a change, multi-arch copies are told apart by arch', () => {
  assert.equal(diffPackages([p('tzdata', '2024a', 'amd64')], [p('tzdata', '2024b', 'all')]).changed, [{ name: 'tzdata', arch: 'all', from: '2024a', to: '2024b' }]);
  const diff = diffPackages([p('libc6', '2.36-9', 'amd64'), p('libc6', '2.36-9', 'i386')], [p('libc6', '2.36-9+deb12u4', 'amd64'), p('libc6', '2.36-9', 'i386')]);
  assert.equal(diff, { changed: [{ name: 'libc6', arch: 'amd64', from: '2.36-9', to: '2.36-9+deb12u4' }], added: [], removed: [] });
});

test.run();
