import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { afterExports } from '../../../src/staging/phases/build.js';
import type { PlannedBuildpack } from '../../../src/staging/plan.js';

const planned = (mount: string) => ({ mount }) as PlannedBuildpack;

test('the first buildpack runs its script as is', () => {
  assert.equal(afterExports([planned('/b/0')], 0, ['/b/0/bin/compile', 'x']), ['/b/0/bin/compile', 'x']);
});

test('later steps source every earlier export that exists, in order, then exec the script with its arguments intact', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'exports-'));
  try {
    await writeFile(join(dir, 'a'), 'export SEEN="a"\nexport ORDER="a"\n');
    // 'b' has none: skipped. 'c' runs after 'a', so it wins; it is bash's 'export' listing (declare -x), as heroku-buildpack-apt writes.
    await writeFile(join(dir, 'c'), 'declare -x ORDER="$ORDER c"\n');
    const plan = [planned(`${dir}/a-bp`), planned(`${dir}/b-bp`), planned(`${dir}/c-bp`), planned(`${dir}/d-bp`)];
    const args = afterExports(plan, 3, ['/bin/sh', '-c', 'printf "%s|%s|%s|%s" "$SEEN" "$ORDER" "$1" "$2"', 'script', 'one arg', '']);
    // The mounts' export files, for the test: <dir>/<x>-bp/export → <dir>/<x>.
    const mapped = args.map((a) => a.replace(/-bp\/export$/, ''));
    const out = execFileSync(mapped[0]!, mapped.slice(1), { encoding: 'utf8' });
    assert.is(out, 'a|a c|one arg|');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
