import '../helpers/env.js';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { inScratch, stageApp, BUILDPACKS } from '../integration/staging/helpers.js';
import { hostView } from './host-view.js';

test('a buildpack that rewrites its own writable copy, plants links to host paths and a setuid shell there changes nothing for the host or the next staging', async () => {
  const host = await mkdtemp('/tmp/dropship-bpcopy-');
  try {
    const target = join(host, 'target');
    await writeFile(join(target + '.txt'), 'host file\n');
    const bp = join(host, 'bp');
    await cp(join(BUILDPACKS, 'self-tamper'), bp, { recursive: true });
    const before = hostView(host);
    await inScratch('tamper', async ({ out, name }) => {
      const env = { HOST_TARGET: `${target}.txt` };
      const first = await stageApp('heroku-chain-app', out, name, { buildpacks: [bp], env, network: false, command: './start' });
      assert.ok(first.lines.includes('-----> Self Tamper'));
      const second = await stageApp('heroku-chain-app', out, name, { buildpacks: [bp], env, network: false, command: './start', dropletPath: join(out, 'second.tgz') });
      assert.not.ok(second.lines.includes('       saw an earlier staging\'s tampering'), 'each staging starts from the registered buildpack');
    });
    // The buildpack directory, the file the links point to, everything beside them: as they were.
    assert.equal(hostView(host), before);
  } finally {
    await rm(host, { recursive: true, force: true });
  }
});

test.run();
