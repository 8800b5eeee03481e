import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { compileGlob } from '../../../src/cnb/glob.js';
import { MAX_SLICE_PATHS, MAX_SLICES, parseLaunchToml } from '../../../src/cnb/layer-toml.js';
import { layoutSlices, slicePattern } from '../../../src/cnb/slices.js';

test('buildpack.md "launch.toml": slice globs follow Go filepath.Match', () => {
  const m = (p: string, n: string) => compileGlob(p).test(n);
  assert.ok(m('*.css', 'a.css'));
  assert.not.ok(m('*.css', 'static/a.css'), '* does not cross /');
  assert.ok(m('static/?.css', 'static/a.css'));
  assert.ok(m('[a-c]*', 'b.txt'));
  assert.not.ok(m('[^a-c]*', 'b.txt'));
  assert.ok(m('a\\*', 'a*'));
  assert.not.ok(m('a\\*', 'ab'));
  assert.ok(m('x.[ch]', 'x.h'));
  assert.not.ok(m('x.txt', 'xxtxt'), 'a dot is literal');
  for (const bad of ['[', '[]', 'a\\', '[z-a]', '[a-]']) assert.throws(() => compileGlob(bad), undefined, bad);
});

test('slice globs are matched as Go matches them: a buildpack\'s *a*a*a… cannot stall the exporter on a long name', () => {
  // A backtracking RegExp of this pattern takes longer than the age of the universe on this name (measured: 5 stars, 31 s).
  const evil = compileGlob(`${'*a'.repeat(40)}b`);
  assert.not.ok(evil.test('a'.repeat(255)));
  assert.ok(evil.test(`${'a'.repeat(60)}b`));
  assert.ok(compileGlob('*a*b').test('xxaxxbxxb'), 'the last chunk still matches at the end');
  assert.not.ok(compileGlob('a*/b').test('a/x/b'), '* never takes a /');
  assert.ok(compileGlob('*').test('') && !compileGlob('*').test('a/b'));
});

test('slice globs work on characters (Go runes), not UTF-16 halves: a class of emoji is a range, a backwards one a glob error', () => {
  assert.ok(compileGlob('[😀-😂]').test('😁'));
  assert.ok(compileGlob('?.txt').test('😀.txt'), '? is one character');
  assert.not.ok(compileGlob('[^😀]').test('😀'));
  // Was a raw RegExp SyntaxError (a "bug in dropship" line) from parsing launch.toml.
  assert.throws(() => parseLaunchToml('[[slices]]\npaths = ["[😀-\uE000]"]\n', 'evil/bp'),
    (e: Error) => e.message === "buildpack evil/bp: launch.toml: slices[0] paths[0]: '[😀-\uE000]' is not a valid glob: the range 😀-\uE000 is backwards");
});

test('a launch.toml cannot ask for more slices or globs than the bound (each glob is tried on every app path, each slice is a layer)', () => {
  const many = (n: number, paths: string) => Array.from({ length: n }, () => `[[slices]]\npaths = [${paths}]\n`).join('');
  assert.is(parseLaunchToml(many(MAX_SLICES, '"a"'), 'evil/bp').slices.length, MAX_SLICES);
  assert.throws(() => parseLaunchToml(many(MAX_SLICES + 1, '"a"'), 'evil/bp'),
    (e: Error) => e.message === `buildpack evil/bp: launch.toml: slices: has ${MAX_SLICES + 1} entries, more than the ${MAX_SLICES} an image may have`);
  const paths = Array.from({ length: MAX_SLICE_PATHS / 2 + 1 }, (_, i) => `"p${i}*"`).join(', ');
  assert.throws(() => parseLaunchToml(many(2, paths), 'evil/bp'),
    (e: Error) => e.message === `buildpack evil/bp: launch.toml: slices: have ${MAX_SLICE_PATHS + 2} paths in all, more than the ${MAX_SLICE_PATHS} allowed`);
});

test('slice paths stay inside the app dir: relative, or absolute below /workspace', () => {
  assert.is(slicePattern('static/'), 'static');
  assert.is(slicePattern('./a//b/*.js'), 'a/b/*.js');
  assert.is(slicePattern('/workspace/static/*'), 'static/*');
  assert.throws(() => slicePattern('../etc/*'), /climbs out of the app directory/);
  assert.throws(() => slicePattern('a/../../x'), /climbs out/);
  assert.throws(() => slicePattern('/etc/passwd'), /is outside the app directory \/workspace/);
  assert.throws(() => slicePattern('/workspacex/a'), /is outside the app directory/);
  assert.throws(() => slicePattern('/workspace'), /names the app directory itself/);
  assert.throws(() => slicePattern('[x'), /is not a valid glob/);
});

test('a bad slice glob fails parsing launch.toml, naming the buildpack, file and field', () => {
  assert.throws(() => parseLaunchToml('[[slices]]\npaths = ["ok/*"]\n[[slices]]\npaths = ["a", "../../etc/*"]\n', 'evil/bp'),
    /^buildpack evil\/bp: launch\.toml: slices\[1\] paths\[1\]: '\.\.\/\.\.\/etc\/\*' climbs out of the app directory with \.\.$/);
  assert.equal(parseLaunchToml('[[slices]]\npaths = ["/workspace/static"]\n', 'a').slices, [{ paths: ['static'] }]);
});

test('platform.md "Exporter" slices: first match wins, a directory brings its subtree, fully sliced dirs leave the rest', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'slices-'));
  try {
    for (const f of ['static/a.css', 'static/img/logo.png', 'lib/x.js', 'lib/y.txt', 'README']) {
      await mkdir(join(dir, f, '..'), { recursive: true });
      await writeFile(join(dir, f), f);
    }
    await symlink('/etc', join(dir, 'etc-link'));
    const s = (index: number, ...paths: string[]) => ({ buildpackId: 'bp', index, paths });
    const layout = await layoutSlices(dir, [s(0, 'static'), s(1, 'lib/*.js', 'static/a.css'), s(2, 'etc-link/*', 'nothing*'), s(3, 'etc-link')]);
    assert.equal([...layout.slices[0]!].sort(), ['static', 'static/a.css', 'static/img', 'static/img/logo.png']);
    assert.equal([...layout.slices[1]!].sort(), ['lib', 'lib/x.js'], 'static/a.css was taken by the first slice; lib is only a parent');
    assert.equal([...layout.slices[2]!], [], 'a link is never followed, so nothing is below it');
    assert.equal([...layout.slices[3]!], ['etc-link'], 'the link itself is an entry');
    assert.ok(layout.sliced.has('static'));
    assert.not.ok(layout.sliced.has('lib'), 'lib/y.txt is in no slice: lib stays in the rest');
    assert.not.ok(layout.sliced.has('lib/y.txt') || layout.sliced.has('README'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
