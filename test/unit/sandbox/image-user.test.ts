import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerPortFor, imageArgs, resolveImageUser, taskArgs } from '../../../src/sandbox/image-user.js';
import { DropshipError } from '../../../src/errors.js';

test('config.User: empty is the (mapped) root, numbers pass, names come from the top layer with the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'dropship-user-'));
  try {
    const base = join(dir, 'base');
    const top = join(dir, 'top');
    await mkdir(join(base, 'etc'), { recursive: true });
    await mkdir(join(top, 'etc'), { recursive: true });
    await writeFile(join(base, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nvcap:x:2000:2000::/home/vcap:/bin/sh\n');
    await writeFile(join(base, 'etc/group'), 'root:x:0:\nvcap:x:2000:\nstaff:x:50:\n');
    await writeFile(join(top, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nvcap:x:2000:2000::/home/vcap:/bin/sh\napp:x:1234:4321::/app:/bin/sh\n');
    const layers = [base, top];
    assert.is(await resolveImageUser(undefined, layers, 'img'), 'root');
    assert.is(await resolveImageUser('', layers, 'img'), 'root');
    assert.equal(await resolveImageUser('2000:2000', layers, 'img'), { uid: 2000, gid: 2000 });
    assert.equal(await resolveImageUser('vcap', layers, 'img'), { uid: 2000, gid: 2000 });
    assert.equal(await resolveImageUser('app', layers, 'img'), { uid: 1234, gid: 4321 });
    assert.equal(await resolveImageUser('vcap:staff', layers, 'img'), { uid: 2000, gid: 50 });
    assert.equal(await resolveImageUser('2000', layers, 'img'), { uid: 2000, gid: 2000 });
    for (const [user, message] of [
      ['nobody', "image img: user 'nobody' of config.User is not in the image's /etc/passwd"],
      ['vcap:wheel', "image img: group 'wheel' of config.User is not in the image's /etc/group"],
      ['70000', 'image img: config.User 70000 is outside the container\'s id range 0–65535'],
    ]) {
      try {
        await resolveImageUser(user, layers, 'img');
        assert.unreachable(user);
      } catch (error) {
        assert.instance(error, DropshipError);
        assert.is((error as DropshipError).message, message);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the process is Entrypoint + Cmd; -c goes through the Entrypoint (the launcher) or sh -c', () => {
  assert.equal(imageArgs({ Entrypoint: ['/lifecycle/launcher'], Cmd: ['npm start'] }, undefined, 'i'), ['/lifecycle/launcher', 'npm start']);
  assert.equal(imageArgs({ Entrypoint: ['/lifecycle/launcher'], Cmd: ['npm start'] }, 'node x.js', 'i'), ['/lifecycle/launcher', 'node x.js']);
  assert.equal(imageArgs({ Cmd: ['/bin/server', '-v'] }, undefined, 'i'), ['/bin/server', '-v']);
  assert.equal(imageArgs({ Cmd: ['/bin/server'] }, 'echo hi', 'i'), ['/bin/sh', '-c', 'echo hi']);
  try {
    imageArgs({}, undefined, 'bare');
    assert.unreachable();
  } catch (error) {
    assert.is((error as DropshipError).code, 'NO_START_COMMAND');
    assert.is((error as DropshipError).message, 'image bare has neither Entrypoint nor Cmd');
  }
});

test('platform.md "launcher": a CNB image runs type T as /cnb/process/T, a command through /cnb/lifecycle/launcher, web without a web type as its Entrypoint', () => {
  const cnb = { Entrypoint: ['/cnb/process/hello'], Labels: { 'io.buildpacks.build.metadata': JSON.stringify({ processes: [{ type: 'hello' }, { type: 'worker' }] }) } };
  assert.equal(imageArgs(cnb, undefined, 'i', 'worker'), ['/cnb/process/worker']);
  assert.equal(imageArgs(cnb, undefined, 'i', 'web'), ['/cnb/process/hello'], 'the default process');
  assert.equal(imageArgs(cnb, 'echo "$X"', 'i', 'worker'), ['/cnb/lifecycle/launcher', 'echo "$X"'], 'not the process link, which would take it as arguments');
  assert.equal(taskArgs(cnb, ['sh', '-c', 'x']), ['/cnb/lifecycle/launcher', 'sh', '-c', 'x'], 'a task: the launcher, not the default process with arguments');
  assert.equal(taskArgs({ Entrypoint: ['/lifecycle/launcher'] }, ['x']), ['/lifecycle/launcher', 'x']);
  try {
    imageArgs(cnb, undefined, 'i', 'mailer');
    assert.unreachable();
  } catch (error) {
    assert.is((error as DropshipError).message, "image i has no process type 'mailer' (it has hello, worker)");
  }
});

test('the app port: -p wins, then the first exposed tcp port, then 8080', () => {
  assert.is(containerPortFor(9000, { '8080/tcp': {} }), 9000);
  assert.is(containerPortFor(undefined, { '53/udp': {}, '3000/tcp': {} }), 3000);
  assert.is(containerPortFor(undefined, undefined), 8080);
});

test.run();
