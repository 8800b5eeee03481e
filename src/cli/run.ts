import type { Command } from 'commander';
import { collect, printJson } from './output.js';
import { printApps } from './ps.js';
import { requireHealthy } from './start-feedback.js';

interface Flags {
  name: string;
  instances?: string;
  memory?: string;
  disk?: string;
  env?: string[];
  services?: string;
  healthCheckType?: string;
  endpoint?: string;
  timeout?: string;
  port?: string;
  command?: string;
  process?: string;
  stopTimeout?: string;
  detach?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .description('run an image from the store as an app: hardened instances, health-checked, restarted, behind one host port')
    .argument('<image>', 'NAME[:TAG] of an image in the store')
    .requiredOption('--name <app>', 'name of the app')
    .option('-i, --instances <n>', 'number of instances', '1')
    .option('-m, --memory <size>', 'memory limit per instance (also sets cpu shares)', '256M')
    .option('-k, --disk <size>', 'disk quota per instance', '1G')
    .option('-e, --env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--services <file>', 'JSON file with VCAP_SERVICES')
    .option('--health-check-type <type>', 'port | http | process', 'port')
    .option('--endpoint <path>', 'path for the http health check', '/')
    .option('--timeout <seconds>', 'start timeout: the health check must pass within it', '60')
    .option('-p, --port <HOSTPORT[:PORT]>', 'host port of the app (default: one from 61001 up) and the port the app listens on')
    .option('-c, --command <cmd>', "start command (replaces the image's Cmd, run through its launcher)")
    .option('--process <type>', 'process type', 'web')
    .option('--stop-timeout <seconds>', 'SIGKILL this long after SIGTERM', '10')
    .option('-d, --detach', 'hand the app to a background supervisor and return once it is healthy')
    .option('--json', 'print the result as JSON (with -d)')
    .action(async (image: string, flags: Flags) => {
      const options = {
        image,
        name: flags.name,
        instances: flags.instances,
        memory: flags.memory,
        disk: flags.disk,
        env: flags.env,
        servicesFile: flags.services,
        healthCheckType: flags.healthCheckType,
        endpoint: flags.endpoint,
        timeout: flags.timeout,
        port: flags.port,
        command: flags.command,
        processType: flags.process,
        stopTimeout: flags.stopTimeout,
      };
      if (flags.detach) {
        // Not the apps room's index: that loads the image and container code the daemon runs.
        const { runApp } = await import('../apps/run-request.js');
        const { summary, ...result } = await runApp(options);
        if (flags.json) printJson(result);
        else {
          process.stdout.write(`app ${result.app} on host port ${result.hostPort}\n`);
          printApps([summary]);
        }
        requireHealthy(result.app, result);
        return;
      }
      const controller = new AbortController();
      const stop = () => {
        process.stderr.write('stopping…\n');
        controller.abort();
      };
      // `on`, not `once`: execa's exit hook re-raises a signal nobody else listens to, which
      // would kill this process in the middle of stopping the instances.
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      try {
        const { runAppInForeground, formatLogEntry } = await import('../daemon/index.js');
        await runAppInForeground(options, { signal: controller.signal, onLog: (entry) => process.stdout.write(formatLogEntry(entry) + '\n') });
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
    });
}
