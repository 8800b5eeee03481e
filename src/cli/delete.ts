import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('delete')
    .description('stop an app and remove everything of it: containers, network, logs, state, its image tags and staging cache')
    .argument('<app>', 'app name')
    .action(async (name: string) => {
      const { deleteApp } = await import('../apps/index.js');
      const { imageTag } = await import('../push/index.js');
      const { listImages, removeImage } = await import('../oci/index.js');
      const { removeStagingCache } = await import('../staging/index.js');
      await deleteApp(name);
      // What push made for it: its image tags (blobs go with the next gc) and its staging cache.
      const repository = imageTag(name).split(':')[0];
      for (const image of await listImages()) if (image.name === repository) await removeImage(`${image.name}:${image.tag}`);
      await removeStagingCache(name);
      process.stdout.write(`deleted ${name}\n`);
    });
}
