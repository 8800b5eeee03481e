import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { packageListText, packagesDigest, parsePackageList } from '../../../src/stack/packages.js';

test('a recipe package list parses, sorted and without duplicates', () => {
  const list = parsePackageList('zlib1g\t1:1.2.13.dfsg-1\tamd64\n\nbash\t5.2.15-2+b7\tamd64\nzlib1g\t1:1.2.13.dfsg-1\tamd64\n', 'p.tsv');
  assert.equal(list, [
    { name: 'bash', version: '5.2.15-2+b7', arch: 'amd64' },
    { name: 'zlib1g', version: '1:1.2.13.dfsg-1', arch: 'amd64' },
  ]);
  assert.is(packageListText(list), 'bash\t5.2.15-2+b7\tamd64\nzlib1g\t1:1.2.13.dfsg-1\tamd64\n');
});

test('malformed lines are refused by file and line number', () => {
  for (const [text, line] of [
    ['bash\t5.2\tamd64\nbroken line\n', 2],
    ['bash 5.2 amd64\n', 1],
    ['bash\t5.2\tamd64\textra\n', 1],
    ['Bash\t5.2\tamd64\n', 1],
    ['bash\t5.2;rm\tamd64\n', 1],
  ] as const) {
    try {
      parsePackageList(text, '/w/packages.tsv');
      assert.unreachable(`should refuse ${JSON.stringify(text)}`);
    } catch (error) {
      assert.instance(error, DropshipError);
      assert.is((error as DropshipError).code, 'STACK_PACKAGES_INVALID');
      assert.match((error as DropshipError).message, new RegExp(`^/w/packages\\.tsv:${line}: '`));
    }
  }
});

test('the package digest ignores order and changes with any version', () => {
  const a = [
    { name: 'bash', version: '5.2', arch: 'amd64' },
    { name: 'openssl', version: '3.0.15', arch: 'amd64' },
  ];
  assert.is(packagesDigest(a), packagesDigest([...a].reverse()));
  assert.is.not(packagesDigest(a), packagesDigest([a[0]!, { ...a[1]!, version: '3.0.17' }]));
});

test.run();
