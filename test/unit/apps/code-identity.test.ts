import { stat, utimes } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';

const CLIENT = fileURLToPath(new URL('../../../src/apps/daemon-client.ts', import.meta.url));
// Any module the daemon loads other than its entry: an edit there must count as new code too.
const EDITED = fileURLToPath(new URL('../../../src/util/settled.ts', import.meta.url));

/** The identity a CLI run from source gives its code (a new process: the value is memoised). */
async function identity(): Promise<string> {
  const script = `import { codeIdentity } from '${CLIENT}'; process.stdout.write(await codeIdentity());`;
  return (await execa(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script])).stdout;
}

test('run from source, an edit of any module (not only the daemon entry) is another code identity: the daemon is replaced', async () => {
  const before = await stat(EDITED);
  const first = await identity();
  try {
    const later = new Date(Date.now() + 60_000);
    await utimes(EDITED, later, later);
    const second = await identity();
    assert.is.not(second, first);
    assert.ok(second.endsWith(`+${Math.round((await stat(EDITED)).mtimeMs)}`), second);
  } finally {
    await utimes(EDITED, before.atime, before.mtime);
  }
  assert.is(await identity(), first, 'the same code, the same identity');
});

test.run();
