// The background supervisor of one app (`dropship run -d`): `node supervisor-main.js APP`.
import { superviseApp } from './supervise.js';

const name = process.argv[2];
if (!name) {
  process.stderr.write('usage: supervisor-main APP\n');
  process.exit(2);
}
const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => controller.abort());
try {
  await superviseApp(name, { signal: controller.signal });
  process.exit(0);
} catch (error) {
  process.stderr.write(`${new Date().toISOString()} supervisor of ${name} failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
}
