import '../../helpers/env.js';
import { createReadStream } from 'node:fs';
import { cp, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { execa } from 'execa';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { urlCacheKey } from '../../../src/buildpack/index.js';
import { homePaths } from '../../../src/home.js';
import { TEST_HOME } from '../../helpers/env.js';
import { BUILDPACKS, inScratch, stageApp, stageFails } from './helpers.js';

/** A git repository with a buildpack, served read-only over git's dumb HTTP protocol on loopback. */
async function servedRepo(): Promise<{ url: string; v1: string; head: string; close: () => Promise<void> }> {
  const dir = await mkdtemp('/tmp/dropship-gitbp-');
  const work = join(dir, 'work');
  const git = (...args: string[]) => execa('git', ['-C', work, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args]);
  await cp(join(BUILDPACKS, 'heroku-lang'), work, { recursive: true });
  await execa('git', ['init', '--quiet', '-b', 'main', work]);
  await git('add', '.');
  await git('commit', '--quiet', '-m', 'v1');
  await git('tag', 'v1');
  const v1 = (await git('rev-parse', 'HEAD')).stdout.trim();
  await writeFile(join(work, 'bin', 'release'), "#!/bin/sh\nprintf -- '---\\ndefault_process_types:\\n  web: ./lang-start v2\\n'\n", { mode: 0o755 });
  await git('commit', '--quiet', '-am', 'v2');
  const head = (await git('rev-parse', 'HEAD')).stdout.trim();
  await execa('git', ['clone', '--quiet', '--bare', work, join(dir, 'bp.git')]);
  await execa('git', ['--git-dir', join(dir, 'bp.git'), 'update-server-info']);
  const server: Server = createServer((req, res) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(req.url!, 'http://x').pathname)));
    if (!path.startsWith(join(dir, 'bp.git'))) return void res.writeHead(404).end();
    stat(path).then((info) => {
      if (!info.isFile()) return void res.writeHead(404).end();
      res.writeHead(200);
      createReadStream(path).pipe(res);
    }, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bp.git`,
    v1,
    head,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

test('git buildpacks: #tag, default branch and #commit resolve to commits, shown in result.json; a bad ref and an app-supplied private URL are refused', async () => {
  const repo = await servedRepo();
  try {
    await inScratch('git', async ({ out, name }) => {
      const tagged = await stageApp('heroku-chain-app', out, name, { buildpacks: [`${repo.url}#v1`], network: false, command: undefined });
      assert.equal(tagged.result.result.lifecycle_metadata.buildpacks, [{ key: `${repo.url}#v1`, name: 'bp', version: '', commit: repo.v1 }]);
      assert.is(tagged.result.processTypes.web, './lang-start');

      const head = await stageApp('heroku-chain-app', out, name, { buildpacks: [repo.url], network: false, dropletPath: join(out, 'head.tgz') });
      assert.is(head.result.result.lifecycle_metadata.buildpacks[0]!.commit, repo.head);
      assert.is(head.result.processTypes.web, './lang-start v2');

      const pinned = await stageApp('heroku-chain-app', out, name, { buildpacks: [`${repo.url}#${repo.v1}`], network: false, dropletPath: join(out, 'pin.tgz') });
      assert.is(pinned.result.result.lifecycle_metadata.buildpacks[0]!.commit, repo.v1);

      const missing = await stageFails('heroku-chain-app', out, name, { buildpacks: [`${repo.url}#no-such-branch`], network: false });
      assert.is(missing.error.code, 'BUILDPACK_GIT_FAILED');
      assert.match(missing.error.message, /no branch, tag or commit 'no-such-branch'/);

      const fromApp = await stageFails('heroku-chain-app', out, name, { env: { BUILDPACK_URL: `${repo.url}#v1` }, network: false });
      assert.match(fromApp.error.message, /127\.0\.0\.1/);
      assert.match(fromApp.error.message, /BUILDPACK_URL/);
    });
  } finally {
    await repo.close();
    await rm(join(homePaths(TEST_HOME).buildpacks, 'git', urlCacheKey(repo.url)), { recursive: true, force: true });
  }
});

test.run();
