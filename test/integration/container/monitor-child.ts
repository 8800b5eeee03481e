// A process that creates a monitored container, says so on stdout, then idles until killed:
// the tests kill it with SIGKILL to play a dropship that died. uvu loads every file under
// test/ as a suite, so it acts only when run as a program.
import '../../helpers/env.js';
import { fileURLToPath } from 'node:url';
import { createContainer, type ContainerOptions } from '../../../src/container/index.js';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = JSON.parse(process.argv[2]!) as ContainerOptions & { monitor: NonNullable<ContainerOptions['monitor']> };
  const container = await createContainer(options);
  process.stdout.write(JSON.stringify({ id: container.id, pid: await container.pid(), conmonPid: container.conmonPid }) + '\n');
  setInterval(() => undefined, 60_000);
}
