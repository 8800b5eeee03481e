import { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import type { StepRunner } from '../staging/index.js';

/** Files of one buildpack's layers dir that the lifecycle needs between steps. */
export interface LayersSnapshot {
  /** Relative path → content, for regular files only. */
  files: Map<string, string>;
  /** Relative paths of directories (to see `<layer>/bin`, `<layer>/lib`). */
  dirs: Set<string>;
}

/**
 * Read what a buildpack wrote (its tomls and env files) from INSIDE the container, as vcap:
 * a symlink planted in the layers dir then resolves in the container with vcap's rights, never
 * on the host as root while a buildpack's leftover process may still be changing the tree.
 * Symlinks themselves are skipped, and only the few levels the spec defines are listed.
 */
const LIST = [
  'cd "$1" 2>/dev/null || exit 0',
  'set --',
  'for f in *.toml */ */bin */lib */env */env.build */env.launch */env/* */env.build/* */env.launch/* */env.launch/*/*; do',
  '  [ -L "${f%/}" ] && continue',
  '  [ -f "$f" ] || [ -d "$f" ] && set -- "$@" "${f%/}"',
  'done',
  '[ $# -gt 0 ] || exit 0',
  // base64: the runner hands captured stdout over as text, and env values may be any bytes.
  'tar -cf - --no-recursion "$@" | base64',
].join('\n');

export async function readLayers(runner: StepRunner, buildpack: string, dir: string): Promise<LayersSnapshot> {
  const out = await runner.run({ step: 'compile', buildpack, args: ['/bin/sh', '-c', LIST, 'read-layers', dir], captureStdout: true });
  const snapshot: LayersSnapshot = { files: new Map(), dirs: new Set() };
  const bytes = Buffer.from(out.stdout.replace(/\s+/g, ''), 'base64');
  if (out.exitCode !== 0 || bytes.length === 0) return snapshot;
  const tar = extract();
  const done = new Promise<void>((resolve, reject) => {
    tar.on('entry', (header, stream, next) => {
      const name = header.name.replace(/^\.\//, '').replace(/\/$/, '');
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        if (header.type === 'file') snapshot.files.set(name, Buffer.concat(chunks).toString('utf8'));
        else if (header.type === 'directory') snapshot.dirs.add(name);
        next();
      });
      stream.resume();
    });
    tar.on('finish', resolve);
    tar.on('error', reject);
  });
  Readable.from([bytes]).pipe(tar);
  await done;
  return snapshot;
}

/** One small file written by a step (a detect plan), read inside the container; undefined when absent. */
export async function readOne(runner: StepRunner, buildpack: string, path: string): Promise<string | undefined> {
  const out = await runner.run({ step: 'detect', buildpack, args: ['/bin/sh', '-c', '[ -f "$1" ] && [ ! -L "$1" ] && exec cat "$1"; exit 3', 'read-file', path], captureStdout: true });
  return out.exitCode === 0 ? out.stdout : undefined;
}
