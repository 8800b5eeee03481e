import '../../helpers/env.js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { uniqueName, isRoot } from '../../helpers/env.js';
import { runAppTask } from '../../../src/apps/app-task.js';
import { ensureTestImage } from './fixture.js';
import { dropship, leftovers, removeApp } from './helpers.js';

test("a task runs in the app's image as its user, with its env, and exits with the command's code", async () => {
  if (!isRoot) return console.log('skip: needs root for runc');
  const image = await ensureTestImage();
  const app = uniqueName('h6task');
  try {
    const run = await dropship('run', image, '--name', app, '-d', '-e', 'DB=postgres://db', '-m', '64M');
    assert.is(run.exitCode, 0, run.stderr);
    let out = '';
    const result = await runAppTask(app, {
      args: ['/bin/sh', '-c', 'id -u; echo "db=$DB limit=$MEMORY_LIMIT"; ls /app/web.sh; exit 7'],
      onStdout: (chunk) => (out += chunk.toString()),
    });
    assert.is(result.exitCode, 7);
    assert.equal(out.trim().split('\n'), ['2000', 'db=postgres://db limit=64m', '/app/web.sh']);
    assert.ok(result.containerId.startsWith(`dropship-${app}-task-`));
    const cli = await dropship('run-task', app, '-e', 'X=from-cli', '--', '/bin/sh', '-c', 'echo "$X limit=$MEMORY_LIMIT"; exit 3');
    assert.is(cli.exitCode, 3, cli.stderr);
    assert.is(cli.stdout.trim(), 'from-cli limit=64m', "the CLI's task takes the app's memory limit");
    const ps = JSON.parse((await dropship('ps', app, '--json')).stdout)[0];
    assert.is(ps.instances.length, 1, 'the task is not an instance');
  } finally {
    await removeApp(app);
  }
  assert.equal(await leftovers(app), []);
});

test.run();
