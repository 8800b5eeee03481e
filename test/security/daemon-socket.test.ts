import '../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import { daemonPaths, ensureDaemon } from '../../src/apps/index.js';
import { isRoot, uniqueName } from '../helpers/env.js';

/**
 * The daemon steers every app of the store (start, stop, scale, delete): only root may talk to
 * it. Asserted from the host with a real unprivileged user, who tries to connect to the socket
 * and to read the daemon's log (which can hold app errors).
 */
test('an unprivileged local user can neither talk to the daemon nor read its log', async () => {
  if (!isRoot) return console.log('skip: needs root to create a user');
  if ((await execa('which', ['useradd'], { reject: false })).exitCode !== 0) return console.log('skip: useradd missing');
  await ensureDaemon();
  const paths = daemonPaths();
  const user = uniqueName('dsu').replace(/-/g, '');
  await execa('useradd', ['--no-create-home', '--shell', '/bin/sh', user]);
  try {
    const socket = await stat(paths.socket);
    assert.ok(socket.isSocket());
    assert.is(socket.mode & 0o777, 0o600);
    assert.is(socket.uid, 0);
    assert.is((await stat(paths.log)).mode & 0o777, 0o600);
    const script = `const s = require('net').connect(${JSON.stringify(paths.socket)});
s.on('connect', () => { s.write('{"op":"daemon-status"}\\n'); });
s.on('data', (d) => { console.log('ANSWERED ' + d); process.exit(0); });
s.on('error', (e) => { console.log(e.code); process.exit(0); });`;
    const tried = await execa('runuser', ['-u', user, '--', process.execPath, '-e', script], { reject: false });
    assert.is(tried.exitCode, 0, String(tried.stderr));
    // EACCES when the store lets the user reach the socket, ENOENT/EACCES when a 0700 store hides it.
    assert.match(String(tried.stdout).trim(), /^(EACCES|ENOENT)$/);
    const read = await execa('runuser', ['-u', user, '--', 'cat', paths.log], { reject: false });
    assert.is.not(read.exitCode, 0, 'the log is not readable');
  } finally {
    await execa('userdel', [user], { reject: false });
  }
  assert.is((await execa('id', [user], { reject: false })).exitCode, 1, 'the user was removed');
});

test.run();
