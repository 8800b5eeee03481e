import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { withLock } from '../util/lock.js';
import { appPaths, ensureAppDir, listAppNames, readAppSpec, readJson, recordEvent, upgradeContent, writeAppSpec, type AppSpec, type ReleaseContent, type ReleaseStack } from './state.js';

/** One numbered, timestamped release of an app, with why it was made. Never rewritten. */
export interface Release extends ReleaseContent {
  version: number;
  createdAt: string;
  reason: string;
}

const RELEASE_FILE = /^(\d+)\.json$/;

function releaseFile(name: string, version: number): string {
  return join(appPaths(name).releases, `${version}.json`);
}

/** What of a spec a release holds: everything but who the app is. */
export function releaseContent(spec: AppSpec | Omit<AppSpec, 'release'>): ReleaseContent {
  const { name: _name, id: _id, hostPort: _hostPort, createdAt: _createdAt, ...rest } = spec;
  const { release: _release, ...content } = rest as typeof rest & { release?: number };
  return content;
}

async function releaseVersions(name: string): Promise<number[]> {
  const entries = await readdir(appPaths(name).releases).catch(() => [] as string[]);
  return entries.flatMap((e) => RELEASE_FILE.exec(e)?.[1] ?? []).map(Number).sort((a, b) => a - b);
}

/**
 * Make `spec` the app's desired state as a new release: the release file first, then app.json
 * pointing at it (each written atomically), under the app's release lock so two commands
 * never take the same number. A crash between the two leaves a release nobody points at; the
 * next one simply takes the number after it.
 */
export async function commitRelease(spec: Omit<AppSpec, 'release'>, reason: string): Promise<AppSpec> {
  await ensureAppDir(spec.name);
  return withLock(join(homePaths().locks, `release-${spec.name}.lock`), async () => {
    const version = ((await releaseVersions(spec.name)).at(-1) ?? 0) + 1;
    const release: Release = { version, createdAt: new Date().toISOString(), reason, ...releaseContent(spec) };
    await writeJsonAtomic(releaseFile(spec.name, version), release, { mode: 0o600 });
    const next: AppSpec = { ...spec, release: version };
    await writeAppSpec(next);
    await recordEvent(spec.name, { type: 'release', message: `release ${version}: ${reason} (image ${release.imageDigest})` });
    return next;
  });
}

/**
 * Point the app back at `previous` (a Ctrl-C while the release after it was starting): app.json
 * only, under the release lock; the release file that was cancelled stays, as history, and
 * the next release takes the number after it.
 */
export async function restoreRelease(previous: AppSpec, cancelled: number): Promise<void> {
  await withLock(join(homePaths().locks, `release-${previous.name}.lock`), async () => {
    await writeAppSpec(previous);
    await recordEvent(previous.name, { type: 'release-cancelled', message: `release ${cancelled} cancelled while it started (Ctrl-C); back on release ${previous.release}` });
  });
}

/** `dropship releases APP`: oldest first. */
export async function listReleases(name: string): Promise<Release[]> {
  const releases: Release[] = [];
  for (const version of await releaseVersions(name)) {
    const release = await readJson<Release>(releaseFile(name, version));
    if (release) releases.push(upgradeContent(release));
  }
  return releases;
}

export async function readRelease(name: string, version: number): Promise<Release> {
  const raw = Number.isSafeInteger(version) && version > 0 ? await readJson<Release>(releaseFile(name, version)) : undefined;
  const release = raw && upgradeContent(raw);
  if (!release) {
    throw new DropshipError('RELEASE_NOT_FOUND', `app '${name}' has no release ${version}`, {
      hint: `\`dropship releases ${name}\` lists its releases`,
    });
  }
  return release;
}

/**
 * Every image digest a release of an existing app names, current or not: `gc` keeps them, so a
 * rollback always finds its image.
 */
export async function referencedImageDigests(): Promise<string[]> {
  const digests = new Set<string>();
  for (const name of await listAppNames()) {
    const spec = await readAppSpec(name).catch(() => undefined);
    if (spec?.imageDigest) digests.add(spec.imageDigest);
    for (const release of await listReleases(name).catch(() => [])) digests.add(release.imageDigest);
  }
  return [...digests];
}

const DIGEST_NAME = /^sha256:[0-9a-f]{64}$/;

/**
 * The image name of an app's release on a rebased image: an app started from a bare digest
 * (`run sha256:…`) is named by the new digest, since the old one no longer says what it runs.
 */
export function rebasedImageName(image: string, digest: string): string {
  return DIGEST_NAME.test(image) ? digest : image;
}

/**
 * After `dropship rebase IMAGE`: every app whose current release runs `ref` gets a release on the
 * rebased `digest`, on `stack` (instances move onto it with `restart --rolling`). Returns the releases made.
 */
export async function releaseRebasedImage(ref: string, digest: string, stack: ReleaseStack, reason: string): Promise<Array<{ app: string; release: number }>> {
  const made: Array<{ app: string; release: number }> = [];
  for (const name of await listAppNames()) {
    const spec = await readAppSpec(name).catch(() => undefined);
    if (!spec || spec.image !== ref || spec.imageDigest === digest) continue;
    const { release: _release, ...base } = spec;
    made.push({ app: name, release: (await commitRelease({ ...base, image: rebasedImageName(ref, digest), imageDigest: digest, stack }, reason)).release });
  }
  return made;
}
