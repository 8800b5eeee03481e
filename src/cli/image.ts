import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { credentialsFor } from './login.js';
import { printJson, printTable, shortDigest, withProgress } from './output.js';

/** With --json, stdout carries only the result, so progress lines are left out. */
const linesFor = (json: boolean | undefined) => (json ? 'none' : 'auto');

interface TransferFlags {
  insecure?: boolean;
  username?: string;
  passwordStdin?: boolean;
  json?: boolean;
  tag?: string;
}

export function register(program: Command): void {
  const image = program.command('image').description('build, list, export, import, push and pull OCI images');

  image
    .command('build')
    .description('turn a droplet on a stack into a reproducible OCI image in the store')
    .requiredOption('--droplet <file>', 'droplet .tgz written by dropship stage')
    .option('--result <file>', "staging's result.json (process types, buildpacks)")
    .requiredOption('--stack <name>', 'stack the droplet was staged on (built first if needed)')
    .requiredOption('--tag <name[:tag]>', 'image name and tag in the store (tag defaults to latest)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { droplet: string; result?: string; stack: string; tag: string; json?: boolean }) => {
      const { ensureStack } = await import('../stack/index.js');
      const { buildImage } = await import('../oci/index.js');
      const { formatBytes } = await import('../util/units.js');
      const { stack, built } = await withProgress(
        `Building image ${flags.tag}`,
        async (onLine) => {
          const stack = await ensureStack(flags.stack, { onLog: onLine });
          onLine?.(`writing the droplet layer on stack ${stack.name}`);
          return { stack, built: await buildImage({ droplet: flags.droplet, result: flags.result, stack, tag: flags.tag }) };
        },
        { lines: linesFor(flags.json) },
      );
      for (const warning of built.warnings) process.stderr.write(`warning: ${warning}\n`);
      if (flags.json) return printJson(built);
      process.stdout.write(`Built ${built.name}:${built.tag} ${built.digest} (stack ${stack.name}, ${formatBytes(built.size)})\n`);
      if (built.startCommand !== undefined) process.stdout.write(`web: ${built.startCommand}\n`);
    });

  image
    .command('ls')
    .description('list the images in the store')
    .option('--json', 'machine-readable output')
    .action(async (flags: { json?: boolean }) => {
      const { listImages } = await import('../oci/index.js');
      const { formatBytes } = await import('../util/units.js');
      const images = await listImages();
      if (flags.json) return printJson(images);
      printTable(
        ['NAME', 'TAG', 'DIGEST', 'STACK', 'SIZE', 'CREATED'],
        images.map((i) => [i.name, i.tag, shortDigest(i.digest), i.stack ?? '-', formatBytes(i.size), i.created ?? '-']),
      );
    });

  image
    .command('inspect')
    .description('show an image: digest, config, layers')
    .argument('<name[:tag]>', 'image in the store')
    .option('--json', 'machine-readable output')
    .action(async (nameTag: string, flags: { json?: boolean }) => {
      const { inspectImage } = await import('../oci/index.js');
      const { formatBytes } = await import('../util/units.js');
      const details = await inspectImage(nameTag);
      if (flags.json) return printJson(details);
      const c = details.config.config;
      const lines = [
        `Name:        ${details.name}:${details.tag}`,
        `Digest:      ${details.digest}`,
        ...(details.source ? [`Pulled from: ${details.source}`] : []),
        `Created:     ${details.created ?? '-'}`,
        `Stack:       ${details.stack ?? '-'}`,
        `User:        ${c.User ?? '-'}`,
        `Entrypoint:  ${JSON.stringify(c.Entrypoint ?? [])}`,
        `Cmd:         ${JSON.stringify(c.Cmd ?? [])}`,
        `WorkingDir:  ${c.WorkingDir ?? '-'}`,
        `Layers:`,
        ...details.layers.map((l) => `  ${l.digest} ${formatBytes(l.size)} (diff_id ${shortDigest(l.diffId)})`),
        `Labels:`,
        ...Object.entries(c.Labels ?? {}).map(([k, v]) => `  ${k}=${v}`),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });

  image
    .command('rm')
    .description('remove an image tag (dropship gc frees the space)')
    .argument('<name[:tag]>', 'image in the store')
    .option('--json', 'machine-readable output')
    .action(async (nameTag: string, flags: { json?: boolean }) => {
      const { removeImage } = await import('../oci/index.js');
      const removed = await removeImage(nameTag);
      if (flags.json) return printJson(removed);
      process.stdout.write(`Untagged ${removed.name}:${removed.tag} (${removed.digest}); run dropship gc to free its space\n`);
    });

  image
    .command('export')
    .description('write an image as an OCI layout directory or OCI archive (layers gzipped; ref name = the tag)')
    .argument('<name[:tag]>', 'image in the store')
    .option('--oci-layout <dir>', 'OCI image layout directory (created or added to)')
    .option('--oci-archive <file>', 'tar of an OCI image layout')
    .option('--json', 'machine-readable output')
    .action(async (nameTag: string, flags: { ociLayout?: string; ociArchive?: string; json?: boolean }) => {
      const { exportImage } = await import('../oci/index.js');
      const result = await exportImage(nameTag, { ociLayout: flags.ociLayout, ociArchive: flags.ociArchive });
      if (flags.json) return printJson(result);
      process.stdout.write(`Exported ${nameTag} to ${result.path} as ref '${result.ref}' (${result.digest})\n`);
    });

  image
    .command('import')
    .description('copy images from an OCI layout directory or OCI archive into the store')
    .argument('<source>', 'OCI layout directory or .tar archive')
    .option('--tag <name[:tag]>', 'name for the image (default: its ref name)')
    .option('--json', 'machine-readable output')
    .action(async (source: string, flags: { tag?: string; json?: boolean }) => {
      const { importImage } = await import('../oci/index.js');
      const imported = await importImage(source, { tag: flags.tag });
      if (flags.json) return printJson(imported);
      for (const i of imported) process.stdout.write(`Imported ${i.name}:${i.tag} ${i.digest} (from ref '${i.sourceRef}')\n`);
    });

  const transfer = (cmd: Command) =>
    cmd
      .option('--insecure', 'plain http (for a registry on 127.0.0.1)')
      .option('-u, --username <name>', 'registry user (with --password-stdin; default: what dropship login saved)')
      .option('--password-stdin', 'read the registry password from stdin')
      .option('--json', 'machine-readable output');

  transfer(
    image
      .command('push')
      .description('push an image to a registry (blobs it has are skipped, layers gzipped once and cached)')
      .argument('<name[:tag]>', 'image in the store')
      .argument('<target>', 'REGISTRY/REPO[:TAG]'),
  ).action(async (nameTag: string, target: string, flags: TransferFlags) => {
    const { pushImage, parseRegistryReference } = await import('../oci/index.js');
    const ref = parseRegistryReference(target);
    const credentials = await credentialsFor(ref.registry, flags);
    const pushed = await withProgress(`Pushing ${nameTag} to ${target}`, (onProgress) => pushImage(nameTag, target, { insecure: flags.insecure, credentials, onProgress }), {
      lines: linesFor(flags.json),
    });
    if (flags.json) return printJson(pushed);
    const count = (o: string) => pushed.blobs.filter((b) => b.outcome === o).length;
    process.stdout.write(`Pushed ${pushed.reference}@${pushed.digest} (${count('uploaded')} uploaded, ${count('exists')} already there, ${count('mounted')} mounted)\n`);
  });

  transfer(
    image
      .command('pull')
      .description('pull an image from a registry into the store, verifying every digest')
      .argument('<source>', 'REGISTRY/REPO[:TAG] or REGISTRY/REPO@sha256:…')
      .option('--tag <name[:tag]>', 'name in the store (default REPO:TAG)'),
  ).action(async (source: string, flags: TransferFlags) => {
    const { pullImage, parseRegistryReference } = await import('../oci/index.js');
    const ref = parseRegistryReference(source);
    const credentials = await credentialsFor(ref.registry, flags);
    const pulled = await withProgress(`Pulling ${source}`, (onProgress) => pullImage(source, { tag: flags.tag, insecure: flags.insecure, credentials, onProgress }), {
      lines: linesFor(flags.json),
    });
    if (flags.json) return printJson(pulled);
    process.stdout.write(`Pulled ${pulled.reference} as ${pulled.name}:${pulled.tag}\n`);
  });
}

/** For commands that need a stack's current build. */
export async function currentStack(name: string) {
  const { getStack } = await import('../stack/index.js');
  const stack = await getStack(name);
  if (!stack) throw new DropshipError('STACK_NOT_BUILT', `stack ${name} has not been built`, { hint: `run dropship stack build ${name}` });
  return stack;
}
