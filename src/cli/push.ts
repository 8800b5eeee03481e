import type { Command } from 'commander';
import type { PushPlan, PushSeams, PushSummary } from '../push/index.js';
import { DropshipError, isDropshipError } from '../errors.js';
import { plainText } from '../util/plain-text.js';
import { cancellable } from './cancel.js';
import { collect, printJson, printTable } from './output.js';

interface Flags {
  name?: string;
  /** `--no-manifest` makes it false. */
  manifest?: string | false;
  buildpack?: string[];
  stack?: string;
  command?: string;
  instances?: string;
  memory?: string;
  diskQuota?: string;
  env?: string[];
  path?: string;
  hostPort?: string;
  var?: string[];
  varsFile?: string[];
  healthCheckType?: string;
  endpoint?: string;
  timeout?: string;
  start?: boolean;
  strategy?: string;
  allowPrivateBuildpackUrls?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('push')
    .description('stage source with buildpacks on a stack, build its image and run it: source to a running app in one command')
    .argument('[path]', 'app directory, the same as -p')
    .option('-p, --path <dir>', 'app directory (default: the manifest app paths, or the current directory)')
    .option('--name <app>', 'app name (default: from the manifest, or the directory name); with a multi-app manifest, the one app to push')
    .option('-f, --manifest <file>', 'manifest.yml to read (default: manifest.yml in the app directory)')
    .option('--no-manifest', 'ignore manifest.yml')
    .option('-b, --buildpack <name>', 'buildpack name, directory, archive or URL (repeatable; skips detection)', collect, [])
    .option('-s, --stack <stack>', 'stack to stage and run on (default bookworm)')
    .option('-c, --command <cmd>', 'start command for the web process')
    .option('-i, --instances <n>', 'number of web instances (default 1)')
    .option('-m, --memory <size>', 'memory limit per instance, like 256M or 1G (default 256M)')
    .option('-k, --disk-quota <size>', 'disk quota per instance, and the staging disk limit (default 1G)')
    .option('-e, --env <KEY=VALUE>', 'environment variable for staging and running (repeatable)', collect, [])
    .option('--host-port <port>', "host port of the app's URL (default: kept from the last push, or one from the pool)")
    .option('--var <NAME=VALUE>', 'fill ((NAME)) in the manifest (repeatable; wins over --vars-file)', collect, [])
    .option('--vars-file <file>', 'YAML file of name: value filling ((name)) in the manifest (repeatable)', collect, [])
    .option('--health-check-type <type>', 'port | http | process (default port)')
    .option('--endpoint <path>', 'path of the http health check (default /)')
    .option('-t, --timeout <seconds>', 'start timeout: instances must be healthy within it (default 60)')
    .option('--no-start', 'stage and build the image, start nothing')
    .option('--strategy <strategy>', 'rolling: replace running instances one by one')
    .option('--allow-private-buildpack-urls', "let buildpack URLs from the manifest reach loopback, link-local and private addresses")
    .option('--json', 'print the result as JSON (staging output goes to stderr)')
    .action(async (positional: string | undefined, flags: Flags) => {
      if (positional !== undefined && flags.path !== undefined && positional !== flags.path) {
        throw new DropshipError('INVALID_OPTION', `push: two app paths, '${positional}' and -p '${flags.path}'`, { hint: 'give the app directory once: dropship push -p ./app' });
      }
      const room = await import('../push/index.js');
      // The operator's say-so, read where URLs are fetched (the same switch as the environment variable).
      if (flags.allowPrivateBuildpackUrls) process.env.DROPSHIP_ALLOW_PRIVATE_BUILDPACK_URLS = '1';
      const pushFlags = {
        path: flags.path ?? positional,
        vars: flags.var,
        varsFiles: flags.varsFile,
        name: flags.name,
        manifest: flags.manifest || undefined,
        noManifest: flags.manifest === false,
        buildpacks: flags.buildpack,
        stack: flags.stack,
        command: flags.command,
        instances: flags.instances,
        memory: flags.memory,
        disk: flags.diskQuota,
        env: flags.env,
        hostPort: flags.hostPort,
        healthCheckType: flags.healthCheckType,
        endpoint: flags.endpoint,
        timeout: flags.timeout,
        noStart: flags.start === false,
        strategy: flags.strategy,
      };
      const plans = await room.planPushes(pushFlags);
      const seams = room.realPushSeams();
      const summaries: PushSummary[] = [];
      // Ctrl-C cancels staging cleanly (container, network, temp files); a started app stays.
      await cancellable(async ({ signal }) => {
        for (const plan of plans) {
          const summary = await pushOne(room, seams, plan, flags.json ?? false, signal);
          summaries.push(summary);
          if (!flags.json) printSummary(summary);
        }
      });
      if (flags.json) printJson(plans.length === 1 ? summaries[0] : summaries);
      const failed = summaries.filter((s, i) => !room.pushSucceeded(s, plans[i]!));
      if (failed.length > 0) {
        const reasons = [...new Set(failed.flatMap((s) => s.processes.flatMap((p) => (p.failure ? [p.failure.reason] : []))))];
        throw new DropshipError('PUSH_UNHEALTHY', `not every requested instance of ${failed.map((s) => `'${s.name}'`).join(', ')} became healthy${reasons.length ? `: ${reasons.join('; ')}` : ''}`, {
          hint: `see \`dropship logs ${failed[0]!.name} --recent\` for why; the supervisor keeps restarting crashed instances`,
          exitCode: 1,
        });
      }
    });
}

type PushRoom = typeof import('../push/index.js');

/** One app: four listr2 tasks (plain lines when not on a TTY; silent with --json). */
async function pushOne(room: PushRoom, seams: PushSeams, plan: PushPlan, json: boolean, signal: AbortSignal): Promise<PushSummary> {
  const { Listr } = await import('listr2');
  const work = await room.beginPush(plan, { signal });
  const toStderr = (line: string) => process.stderr.write(`${line}\n`);
  const seconds = (phase: keyof typeof work.timings) => `${((work.timings[phase] ?? 0) / 1000).toFixed(1)}s`;
  const output = { outputBar: 12, persistentOutput: false };
  const tasks = new Listr(
    [
      {
        title: `Stack ${plan.stack}`,
        task: async (_ctx, task) => {
          await room.stackPhase(seams, work, (line) => (json ? toStderr(line) : (task.output = line)));
          task.title = `Stack ${plan.stack} (${seconds('stack')})`;
        },
        rendererOptions: output,
      },
      {
        title: `Staging ${plan.name}${plan.buildpacks.length ? ` with ${plan.buildpacks.join(', ')}` : ''}`,
        task: async (_ctx, task) => {
          const staged = await room.stagePhase(seams, work, (line) => (json ? toStderr(line) : (task.output = line)));
          task.title = `Staged ${plan.name} with ${staged.buildpacks.join(', ') || staged.detectedBuildpack} (${seconds('stage')})`;
        },
        rendererOptions: output,
      },
      {
        title: 'Building image',
        task: async (_ctx, task) => {
          const image = await room.imagePhase(seams, work);
          task.title = image.cnb
            ? `Image ${image.ref} (exported by the Cloud Native Buildpacks build, default process ${image.cnb.defaultProcess})`
            : `Image ${image.ref}${image.reused ? ' (unchanged, reused)' : ''} (${seconds('image')})`;
        },
      },
      {
        title: plan.noStart
          ? 'Releasing (--no-start: nothing starts)'
          : 'Starting every process type',
        task: async (_ctx, task) => {
          const started = await room.startPhase(seams, work, (line) => (json ? toStderr(line) : (task.output = line)));
          const counts = started.map((p) => `${p.type} ${p.healthy}/${p.requested}`).join(', ');
          const failed = started.filter((p) => p.failure);
          if (failed.length > 0) {
            // Thrown, so the task ends ✖: a start that is not healthy is never shown as done.
            task.title = `Start failed: ${counts} healthy (release ${work.release}, ${seconds('start')})`;
            throw new DropshipError('PUSH_UNHEALTHY', failed.map((p) => `${p.type}: ${p.failure!.reason}`).join('; '));
          }
          task.title = plan.noStart ? `Released release ${work.release}, not started` : `Started ${counts} (release ${work.release}, ${seconds('start')})`;
        },
        rendererOptions: output,
      },
    ],
    {
      renderer: json ? 'silent' : 'default',
      fallbackRenderer: 'simple',
      exitOnError: true,
      collectErrors: false,
      registerSignalListeners: false,
      rendererOptions: { collapseSubtasks: false },
    },
  );
  try {
    await tasks.run();
    return room.pushSummary(work);
  } catch (error) {
    // Not healthy: say why and show the app's last lines, then the summary (the caller exits 1).
    if (!isDropshipError(error) || error.code !== 'PUSH_UNHEALTHY' || work.processes.length === 0) throw error;
    for (const p of work.processes) {
      if (!p.failure) continue;
      toStderr(plainText(`✖ ${plan.name} ${p.type}: ${p.healthy}/${p.requested} instance(s) healthy: ${p.failure.reason}`));
      if (p.failure.lines.length) toStderr(plainText(`last lines of ${plan.name} ${p.type}:\n${p.failure.lines.map((l) => `  ${l}`).join('\n')}`));
    }
    return room.pushSummary(work);
  } finally {
    await room.endPush(work);
  }
}

function printSummary(summary: PushSummary): void {
  const mb = (bytes: number) => (bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3}G` : `${Math.round(bytes / 1024 ** 2)}M`);
  const total = Object.values(summary.timings).reduce((a, b) => a + (b ?? 0), 0);
  const lines: Array<[string, string]> = [
    ['name', summary.name],
    ['state', summary.state],
    ['release', summary.release === undefined ? '(none)' : String(summary.release)],
    ['url', summary.url ?? '(none)'],
    ['stack', summary.stack],
    ['buildpacks', summary.buildpacks.join(', ') || '(none)'],
    ['image', `${summary.image} ${summary.digest}${summary.imageReused ? ' (unchanged droplet: reused)' : ''}`],
    ['start command', summary.startCommand ?? '(none)'],
  ];
  process.stdout.write('\n');
  for (const [key, value] of lines) process.stdout.write(`${`${key}:`.padEnd(16)}${value}\n`);
  for (const warning of summary.warnings) process.stdout.write(`warning: ${warning}\n`);
  if (summary.processes.length > 0) {
    process.stdout.write('\n');
    printTable(
      ['type', 'instances', 'memory', 'disk', 'command'],
      summary.processes.map((p) => [p.type, `${p.healthy}/${p.requested}`, mb(p.memoryBytes), mb(p.diskBytes), p.command ?? '(start command)']),
    );
  }
  const phases = Object.entries(summary.timings).map(([phase, ms]) => `${phase} ${((ms ?? 0) / 1000).toFixed(1)}s`);
  process.stdout.write(`\npushed in ${(total / 1000).toFixed(1)}s (${phases.join(', ')})\n`);
}
