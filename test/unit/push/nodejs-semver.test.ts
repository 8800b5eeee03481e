import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { fileURLToPath } from 'node:url';

// The nodejs buildpack resolves engines ranges with awk (the stack has no node yet); these are
// the ranges npm users write, checked against what node-semver would pick.
const semverAwk = fileURLToPath(new URL('../../../buildpacks/nodejs/lib/semver.awk', import.meta.url));

const versions = ['0.10.48', '16.20.2', '18.0.0', '18.20.8', '20.0.0', '20.9.0', '20.18.1', '22.0.0', '22.12.0',
  '22.13.0-rc.1', '23.11.1', '24.0.0', '24.11.1', '25.1.0', '26.1.0'];

async function pick(range: string, lines = versions, extra: string[] = []): Promise<{ out: string; code: number }> {
  const result = await execa('awk', ['-f', semverAwk, '-v', `range=${range}`, ...extra], {
    input: lines.join('\n') + '\n', reject: false,
  });
  return { out: result.stdout.trim(), code: result.exitCode ?? -1 };
}

const cases: Array<[string, string]> = [
  ['24.x', '24.11.1'],
  ['24', '24.11.1'],
  ['^22.1', '22.12.0'],
  ['~20.9', '20.9.0'],
  ['~20', '20.18.1'],
  ['>=18 <21', '20.18.1'],
  ['>= 18.0.0 < 20', '18.20.8'],
  ['*', '26.1.0'],
  ['', '26.1.0'],
  ['x', '26.1.0'],
  ['18.0.0', '18.0.0'],
  ['=18.0.0', '18.0.0'],
  ['v20.9.0', '20.9.0'],
  ['20.0.0 - 22', '22.12.0'],
  ['20 - 22.0.0', '22.0.0'],
  ['^16 || ^18', '18.20.8'],
  ['<0.11', '0.10.48'],
  ['>22', '26.1.0'],
  ['>22.12.0 <24', '23.11.1'],
  ['<=20', '20.18.1'],
  ['<=22.12', '22.12.0'],
  ['^0.10.2', '0.10.48'],
  ['~>22.0', '22.0.0'],
];

for (const [range, want] of cases) {
  test(`engines '${range}' picks ${want}`, async () => {
    const { out, code } = await pick(range);
    assert.is(code, 0);
    assert.is(out, want);
  });
}

test('prereleases are never picked', async () => {
  const { out } = await pick('22.13.x');
  assert.is(out, '');
});

test('a range nothing satisfies exits 2', async () => {
  const { out, code } = await pick('^30');
  assert.is(code, 2);
  assert.is(out, '');
});

test('a range that is not semver exits 1', async () => {
  const { code } = await pick('lts/*');
  assert.is(code, 1);
});

test('npm is the newest version whose engines.node accepts the chosen node', async () => {
  const npm = ['10.9.2\tsha\turl\t^18.17.0 || >=20.5.0', '11.6.0\tsha\turl\t^20.17.0 || >=22.9.0',
    '12.2.2\tsha\turl\t^22.22.2 || ^24.15.0 || >=26.0.0', '1.0.0\tsha\turl\t'];
  const for24old = await pick('*', npm, ['-v', 'node=24.11.1', '-v', 'engines=4']);
  assert.is(for24old.out.split('\t')[0], '11.6.0');
  const for18 = await pick('*', npm, ['-v', 'node=18.20.8', '-v', 'engines=4']);
  assert.is(for18.out.split('\t')[0], '10.9.2');
  const for26 = await pick('*', npm, ['-v', 'node=26.1.0', '-v', 'engines=4']);
  assert.is(for26.out.split('\t')[0], '12.2.2');
  const pinned = await pick('10.x', npm, ['-v', 'node=26.1.0', '-v', 'engines=4']);
  assert.is(pinned.out.split('\t')[0], '10.9.2');
});

test.run();
