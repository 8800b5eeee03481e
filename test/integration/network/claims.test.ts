import { uniqueName } from '../../helpers/env.js';
import { existsSync } from 'node:fs';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CLAIMS_DIR, claim, releaseClaims } from '../../../src/network/claims.js';

// A port far above the pool that no test uses: claims are host-wide.
const PORT = 64999;
const path = join(CLAIMS_DIR, `port-${PORT}`);

test('a claim of a store that no longer has the lease is taken over; a live claim is not', async () => {
  const mine = uniqueName('h5claim');
  const other = uniqueName('h5claim');
  await mkdir(CLAIMS_DIR, { recursive: true });
  await writeFile(path, JSON.stringify({ home: '/nonexistent-h5-store', containerId: 'gone' }));
  const old = new Date(Date.now() - 3_600_000);
  await utimes(path, old, old);
  try {
    assert.ok(await claim('port', PORT, mine), 'stale claim taken over');
    assert.ok(await claim('port', PORT, mine), 'claiming again for the same container is fine');
    assert.not.ok(await claim('port', PORT, other), 'a fresh claim of another container holds');
    await releaseClaims(other, '', [PORT]);
    assert.ok(existsSync(path), 'another container cannot release it');
    await releaseClaims(mine, '', [PORT]);
    assert.not.ok(existsSync(path));
  } finally {
    await releaseClaims(mine, '', [PORT]);
  }
});

test.run();
