import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awaitingNetwork, hasShell, wrapForNetwork } from '../../../src/sandbox/await-network.js';

let root: string;
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'dropship-await-network-'));
});
test.after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('the command runs after the wait, with its arguments intact', () => {
  const args = awaitingNetwork(['/lifecycle/launcher', 'node server.js "a b"']);
  assert.is(args[0], '/bin/sh');
  assert.match(args[2]!, /exec "\$@"$/);
  assert.equal(args.slice(4), ['/lifecycle/launcher', 'node server.js "a b"']);
});

test('images with a shell wait for the network; images without one start as they are', async () => {
  const base = join(root, 'base');
  const usrmerged = join(root, 'usrmerged');
  const distroless = join(root, 'distroless');
  await mkdir(join(base, 'bin'), { recursive: true });
  await writeFile(join(base, 'bin', 'sh'), '');
  await mkdir(join(usrmerged, 'usr', 'bin'), { recursive: true });
  await symlink('dash', join(usrmerged, 'usr', 'bin', 'sh'));
  await mkdir(join(distroless, 'app'), { recursive: true });
  assert.ok(await hasShell([base, distroless]));
  assert.ok(await hasShell([usrmerged]));
  assert.not.ok(await hasShell([distroless]));
  assert.equal(await wrapForNetwork(['/app/server'], [distroless]), ['/app/server']);
  assert.is((await wrapForNetwork(['/app/server'], [base]))[0], '/bin/sh');
});

test.run();
