import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hostExtraCaCerts } from '../../../src/staging/platform-env.js';

const PEM = (n: number) => `-----BEGIN CERTIFICATE-----\nMIIB${n}\n-----END CERTIFICATE-----\n`;

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-ca-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('extra CAs: every .crt with a certificate, nested ones too, in name order; other files ignored', () =>
  withDir(async (dir) => {
    await mkdir(join(dir, 'corp'));
    await writeFile(join(dir, 'b.crt'), PEM(2));
    await writeFile(join(dir, 'corp', 'a.crt'), PEM(1));
    await writeFile(join(dir, 'notes.txt'), PEM(3));
    await writeFile(join(dir, 'empty.crt'), 'not a certificate');
    assert.is(await hostExtraCaCerts(dir), `${PEM(2).trim()}\n${PEM(1).trim()}`);
  }));

test('extra CAs: none for a missing or empty directory, none when too big for an env value', () =>
  withDir(async (dir) => {
    assert.is(await hostExtraCaCerts(join(dir, 'missing')), undefined);
    assert.is(await hostExtraCaCerts(dir), undefined);
    await writeFile(join(dir, 'huge.crt'), PEM(0) + 'x'.repeat(70 * 1024));
    assert.is(await hostExtraCaCerts(dir), undefined);
  }));

test.run();
