import type { Command } from 'commander';
import type { StagingEvent } from '../staging/index.js';
import { cancellable } from './cancel.js';
import { collect } from './output.js';

interface BuildFlags {
  tag: string;
  buildpack?: string[];
  stack?: string;
  name?: string;
  env?: string[];
  clearCache?: boolean;
  sbomOutputDir?: string;
  network: boolean;
  timeout: string;
  memory: string;
  publish?: string;
  insecure?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('build')
    .description('source to image, like pack build: Cloud Native Buildpacks (or V2 buildpacks, through a droplet)')
    .argument('<app-dir>', 'the app source')
    .requiredOption('-t, --tag <name[:tag]>', 'image name and tag in the store')
    .option('-b, --buildpack <bp>', 'buildpack dir, archive, URL or registered name (repeat; CNB composites expand their order)', collect)
    .option('-s, --stack <name>', 'stack to build on: tiny or bookworm (default bookworm, as push and stage)')
    .option('--name <app>', 'app name (keys the cache; default: the directory name)')
    .option('-e, --env <K=V>', 'env for the buildpacks (CNB: files in <platform>/env)', collect)
    .option('--clear-cache', 'start from an empty cache')
    .option('--sbom-output-dir <dir>', "CNB: copy the build's SBOMs here as launch/… and build/… (as pack build)")
    .option('--no-network', 'no network in the build container')
    .option('--timeout <duration>', 'build timeout', '15m')
    .option('--memory <size>', 'memory limit of the build container', '1G')
    .option('--publish <registry/repo[:tag]>', 'push the image to a registry once built (credentials from dropship login)')
    .option('--insecure', 'with --publish: plain http to the registry')
    .option('--json', 'JSON lines: events, then the result')
    .action(async (appDir: string, flags: BuildFlags) => {
      const { buildApp } = await import('../cnb/index.js');
      const { parseEnvAssignments } = await import('../staging/index.js');
      const onEvent = (event: StagingEvent) => {
        if (flags.json) process.stdout.write(JSON.stringify(event.type === 'log' ? { ...event, source: 'STG/0' } : event) + '\n');
        else if (event.type === 'log') process.stdout.write(`[STG/0] ${event.line}\n`);
        else if (event.type === 'warning') process.stderr.write(`warning: ${event.message}\n`);
        else if (event.type === 'phase' && event.status !== 'start') process.stdout.write(`${event.status === 'failed' ? '✖' : '✔'} ${event.title}${event.durationMs !== undefined ? ` (${(event.durationMs / 1000).toFixed(2)}s)` : ''}\n`);
      };
      // Ctrl-C or SIGTERM cancels the build: its container, network and work dir go first.
      const image = await cancellable(({ signal }) => buildApp({
        appDir, tag: flags.tag, buildpacks: flags.buildpack ?? [], stack: flags.stack, name: flags.name,
        env: parseEnvAssignments(flags.env ?? []), clearCache: flags.clearCache, sbomOutputDir: flags.sbomOutputDir, network: flags.network,
        timeout: flags.timeout, memory: flags.memory, onEvent, signal,
      }));
      // JSON lines: the result is the last line, like the events before it.
      let published: { reference: string; digest: string } | undefined;
      if (flags.publish) {
        const { pushImage, parseRegistryReference } = await import('../oci/index.js');
        const { credentialsFor } = await import('./login.js');
        const credentials = await credentialsFor(parseRegistryReference(flags.publish).registry, {});
        const pushed = await pushImage(`${image.name}:${image.tag}`, flags.publish, { insecure: flags.insecure, credentials });
        published = { reference: pushed.reference, digest: pushed.digest };
      }
      if (flags.json) return void process.stdout.write(JSON.stringify({ type: 'result', ...image, ...(published ? { published } : {}) }) + '\n');
      const lines = [
        `Built ${image.name}:${image.tag} ${image.digest} (${image.kind === 'cnb' ? 'Cloud Native Buildpacks' : 'V2 buildpacks, through a droplet'})`,
        `buildpacks: ${image.buildpacks.map((b) => `${b.id}@${b.version}`).join(', ')}`,
        ...Object.entries(image.processTypes).map(([t, c]) => `  ${t}${t === image.defaultProcess ? ' (default)' : ''}: ${c}`),
        ...(image.bytesWritten !== undefined ? [`written: ${image.bytesWritten} bytes of new layers`] : []),
        ...(image.sbom?.files.length ? [`sbom: ${image.sbom.files.length} file(s) in ${flags.sbomOutputDir ?? image.sbom.dir}`] : []),
        `time: ${(image.totalMs / 1000).toFixed(2)}s`,
        ...(published ? [`published: ${published.reference}@${published.digest}`] : []),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
