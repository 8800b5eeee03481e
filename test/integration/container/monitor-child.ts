// A process that creates a monitored container, says so on stdout, then idles until killed:
// the tests kill it with SIGKILL to play a dropship that died.
import '../../helpers/env.js';
import { createContainer, type ContainerOptions } from '../../../src/container/index.js';

const options = JSON.parse(process.argv[2]!) as ContainerOptions & { monitor: NonNullable<ContainerOptions['monitor']> };
const container = await createContainer(options);
process.stdout.write(JSON.stringify({ id: container.id, pid: await container.pid(), conmonPid: container.conmonPid }) + '\n');
setInterval(() => undefined, 60_000);
