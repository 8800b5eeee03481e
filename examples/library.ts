// dropship as a library: push an app from source, run a named task in it, read the task back.
import { deleteApp, listTasks, pushApp, runAppTask } from 'dropship';

const name = process.env.EXAMPLE_APP ?? 'example-site';
const [app] = await pushApp({
  path: 'fixtures/apps/static-site',
  name,
  stack: 'tiny',
  memory: '64M',
  env: { GREETING: 'hello from the library' },
  timeout: '60s',
});
console.log(`pushed ${app!.name}: ${app!.state} at ${app!.url}`);

const task = await runAppTask(name, {
  name: 'greet',
  args: ['/bin/sh', '-c', 'echo "$GREETING"'],
  timeout: '30s',
  onStdout: (chunk) => process.stdout.write(chunk),
});
const [record] = await listTasks(name);
console.log(`task ${record!.name}: ${record!.state}, exit ${task.exitCode}`);

await deleteApp(name);
