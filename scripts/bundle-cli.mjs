// The `dropship` bin as a few bundled chunks instead of tsc's one file per module: Node 20 has no
// compile cache, and resolving, reading and linking the ~90 modules of `run-task` cost about as
// much as Node's own start. Split at the dynamic imports, so a command still loads only what it
// uses; packages stay in node_modules. Every chunk sits in dist/cli/, as deep as tsc's modules,
// so their `new URL('../../rootfs/', import.meta.url)` and the daemon's path resolve the same.
// The rest of dist/ (the library, the daemon) stays tsc's.
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const outdir = fileURLToPath(new URL('../dist/cli/', import.meta.url));
await rm(outdir, { recursive: true, force: true });
await build({
  entryPoints: [fileURLToPath(new URL('../src/cli/main.ts', import.meta.url))],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
