import type { Command } from 'commander';
import { DropshipError } from '../errors.js';
import { printJson } from './output.js';
import { currentStack } from './image.js';

export function register(program: Command): void {
  program
    .command('rebase')
    .description("put an image on the current build of its stack (a manifest rewrite; the droplet layer is not touched)")
    .argument('<name[:tag]>', 'image in the store')
    .option('--stack <name>', "stack to rebase onto (default: the image's own stack)")
    .option('--force', 'allow moving the image to a different stack')
    .option('--json', 'machine-readable output')
    .action(async (nameTag: string, flags: { stack?: string; force?: boolean; json?: boolean }) => {
      const { rebaseImage, inspectImage } = await import('../oci/index.js');
      const stackName = flags.stack ?? (await inspectImage(nameTag)).stack;
      if (!stackName) {
        throw new DropshipError('REBASE_UNKNOWN_STACK', `image ${nameTag} does not say which stack it is built on`, { hint: 'pass --stack NAME --force' });
      }
      const result = await rebaseImage(nameTag, await currentStack(stackName), { force: flags.force });
      // Releases pin digests: the apps on this image get a release on the rebased one.
      const { releaseRebasedImage } = await import('../apps/index.js');
      const releases = result.changed
        ? await releaseRebasedImage(`${result.name}:${result.tag}`, result.digest, { name: result.stack, build: result.base }, `rebase onto ${result.stack} ${result.base}`)
        : [];
      if (flags.json) return printJson({ ...result, releases });
      if (!result.changed) {
        process.stdout.write(`${result.name}:${result.tag} is already on the current build of ${result.stack} (${result.base})\n`);
        return;
      }
      process.stdout.write(`Rebased ${result.name}:${result.tag} onto ${result.stack} ${result.base}\n  was ${result.previousDigest}\n  now ${result.digest}\n`);
      for (const r of releases) {
        process.stdout.write(`release ${r.release} of ${r.app} runs it; \`dropship restart ${r.app} --rolling\` moves its instances onto it\n`);
      }
    });
}
