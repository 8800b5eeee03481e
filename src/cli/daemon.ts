import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { formatBytes } from '../util/units.js';
import { printJson, printTable } from './output.js';

async function waitUntilGone(pid: number, livingDaemonPid: () => Promise<number | undefined>): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await livingDaemonPid()) !== pid) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new DropshipError('DAEMON_STOP_TIMEOUT', `the dropship daemon (pid ${pid}) did not exit within 30s`, { hint: `see daemon.log in the store; \`kill ${pid}\` stops it (the apps keep running)` });
}

export function register(program: Command): void {
  const daemon = program
    .command('daemon')
    .description("the store's daemon: supervises every app; any app command starts it, it adopts running instances when it starts again");

  daemon
    .command('start')
    .description('start the daemon of this store (nothing happens when it runs already)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { ensureDaemon } = await import('../apps/index.js');
      const result = await ensureDaemon();
      if (options.json) printJson(result);
      else process.stdout.write(result.started ? `daemon started (pid ${result.pid})\n` : `daemon already running (pid ${result.pid})\n`);
    });

  daemon
    .command('stop')
    .description('stop the daemon; every app instance keeps running and serving, the next daemon adopts them')
    .action(async () => {
      const { callControl, daemonPaths, livingDaemonPid } = await import('../apps/index.js');
      const paths = daemonPaths();
      const pid = await livingDaemonPid(paths.pid);
      if (pid === undefined) {
        process.stdout.write('daemon not running\n');
        return;
      }
      try {
        await callControl(paths.socket, { op: 'shutdown' }, 10_000);
      } catch {
        // It does not answer (still adopting, or wedged): SIGTERM is the same request.
        process.kill(pid, 'SIGTERM');
      }
      await waitUntilGone(pid, () => livingDaemonPid(paths.pid));
      process.stdout.write(`daemon stopped (pid ${pid}); the apps keep running\n`);
    });

  daemon
    .command('status')
    .description('pid, apps and instances of the running daemon (exit 3 when it does not run)')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const { callControl, daemonPaths, livingDaemonPid } = await import('../apps/index.js');
      const paths = daemonPaths();
      const status = await callControl<import('../apps/index.js').DaemonStatus>(paths.socket, { op: 'daemon-status' }, 10_000).catch(() => undefined);
      if (!status) {
        const pid = await livingDaemonPid(paths.pid);
        if (options.json) printJson({ running: false, ...(pid ? { pid } : {}) });
        else process.stdout.write(pid ? `daemon pid ${pid} is not answering on ${paths.socket}\n` : 'daemon not running\n');
        process.exitCode = 3;
        return;
      }
      if (options.json) {
        printJson({ running: true, ...status });
        return;
      }
      process.stdout.write(`pid ${status.pid}\nstore ${status.home}\nsince ${status.startedAt}\nrss ${formatBytes(status.rssBytes)}\napps ${status.apps.length}\ninstances ${status.instances}\n`);
      if (status.apps.length) printTable(['APP', 'PORT', 'INSTANCES', 'RUNNING'], status.apps.map((a) => [a.name, String(a.hostPort), String(a.instances), String(a.running)]));
    });

  daemon
    .command('unit')
    .description('print a systemd unit that starts the daemon at boot (install it as /etc/systemd/system/dropship.service)')
    .action(async () => {
      const [{ daemonEntry, loaderArgs }, { daemonUnit }, { dropshipHome }] = await Promise.all([import('../apps/index.js'), import('../daemon/index.js'), import('../home.js')]);
      process.stdout.write(daemonUnit({ home: dropshipHome(), node: process.execPath, entry: daemonEntry(), nodeArgs: loaderArgs(process.execArgv), path: process.env.PATH }));
    });
}
