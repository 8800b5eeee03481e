import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { appPaths } from '../apps/index.js';
import { tempPathFor, writeJsonAtomic } from '../util/atomic.js';
import { heldDirPath, openContainedDir, type Containment } from '../util/contained-path.js';

/** What `restage` needs to stage a release's source again the way it was pushed. */
export interface KeptSource {
  release: number;
  /** sha256 of the source tarball: one copy per distinct source. */
  digest: string;
  stack: string;
  /** Empty: detected. */
  buildpacks: string[];
}

function sourcesDir(app: string): string {
  return join(appPaths(app).dir, 'sources');
}

/**
 * Keep the app directory a release was staged from, as a content-addressed tarball in the app's
 * dir (0700, the file 0600: no other user reads the source). tar stores symlinks as links and
 * never follows them, so a link in the source cannot pull a host file into the store. Read through
 * the directory held open and judged against `within` (a manifest's `path:`): a path swapped for a
 * link out of the app while the push staged cannot pull a host directory in either.
 */
export async function keepSource(app: string, dir: string, meta: Omit<KeptSource, 'digest'>, within?: Containment): Promise<KeptSource> {
  const sources = sourcesDir(app);
  await mkdir(sources, { recursive: true, mode: 0o700 });
  const temp = tempPathFor(join(sources, 'source.tar'));
  const held = await openContainedDir(dir, within);
  try {
    // Made 0600 before tar writes into it: tar would create it by the umask.
    await writeFile(temp, '', { mode: 0o600 });
    await execa('tar', ['--create', '--file', temp, '--directory', heldDirPath(held), '--sort=name', '--numeric-owner', '.'], { stdin: 'ignore' });
    const hash = createHash('sha256');
    await pipeline(createReadStream(temp), hash);
    const digest = `sha256:${hash.digest('hex')}`;
    await rename(temp, join(sources, `${digest.slice(7)}.tar`));
    const kept: KeptSource = { ...meta, digest };
    await writeJsonAtomic(join(sources, `${meta.release}.json`), kept, { mode: 0o600 });
    return kept;
  } finally {
    await held.close();
    await rm(temp, { force: true });
  }
}

/** The source of the app's latest release that has one, unpacked into a fresh 0700 directory. */
export async function restoreSource(app: string): Promise<KeptSource & { dir: string; cleanup: () => Promise<void> }> {
  const sources = sourcesDir(app);
  const releases = (await readdir(sources).catch(() => [] as string[])).flatMap((e) => /^(\d+)\.json$/.exec(e)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  const latest = releases.at(-1);
  const kept = latest === undefined ? undefined : (JSON.parse(await readFile(join(sources, `${latest}.json`), 'utf8')) as KeptSource);
  if (!kept) {
    throw new DropshipError('NO_SOURCE', `app '${app}' has no kept source to restage`, {
      hint: `only pushed apps keep their source; push it again with \`dropship push -p DIR --name ${app}\``,
    });
  }
  const dir = await mkdtemp(join(tmpdir(), 'dropship-restage-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await execa('tar', ['--extract', '--file', join(sources, `${kept.digest.slice(7)}.tar`), '--directory', dir, '--no-same-owner'], { stdin: 'ignore' });
  } catch (error) {
    await cleanup();
    throw new DropshipError('SOURCE_DAMAGED', `app '${app}': the source of release ${kept.release} cannot be unpacked`, { hint: 'push the app again', cause: error });
  }
  return { ...kept, dir, cleanup };
}
