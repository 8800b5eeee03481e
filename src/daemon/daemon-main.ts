// The store's daemon process: `node daemon-main.js` (started on demand by the CLI, or by the
// systemd unit `dropship daemon unit` prints). SIGTERM/SIGINT stop the daemon, never the apps.
import { runDaemon } from './daemon.js';

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => controller.abort());
try {
  await runDaemon(controller.signal);
  process.exit(0);
} catch (error) {
  const code = (error as { code?: string }).code;
  process.stderr.write(`${new Date().toISOString()} daemon ${process.pid} ${code === 'DAEMON_RUNNING' ? 'not started' : 'failed'}: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(code === 'DAEMON_RUNNING' ? 3 : 1);
}
