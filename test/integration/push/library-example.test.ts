import '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execa } from 'execa';
import { isRoot, uniqueName } from '../../helpers/env.js';
import { removePushed } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const name = uniqueName('am-lib');

test.after(() => removePushed(name));

test('the README shows examples/library.ts as it is', async () => {
  const [readme, example] = await Promise.all([readFile(`${ROOT}README.md`, 'utf8'), readFile(`${ROOT}examples/library.ts`, 'utf8')]);
  assert.ok(readme.includes('```ts\n' + example + '```\n'), 'README.md must hold examples/library.ts verbatim in a ```ts block');
});

test('examples/library.ts runs against the built package: push, a named task, its record', async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  // `import … from 'dropship'` resolves to the package's own dist/ (Node's self-reference).
  assert.ok(existsSync(`${ROOT}dist/index.js`), 'build dist first: npx tsc -p tsconfig.build.json');
  const run = await execa(process.execPath, ['--import', 'tsx', 'examples/library.ts'], {
    cwd: ROOT, reject: false, env: { ...process.env, EXAMPLE_APP: name }, timeout: 600_000,
  });
  assert.is(run.exitCode, 0, run.stderr);
  const lines = String(run.stdout).trim().split('\n');
  assert.match(lines[0]!, new RegExp(`^pushed ${name}: running at http://127\\.0\\.0\\.1:\\d+$`));
  assert.equal(lines.slice(1), ['hello from the library', 'task greet: SUCCEEDED, exit 0']);
});

test.run();
