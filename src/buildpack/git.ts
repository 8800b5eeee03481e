import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { withLock } from '../util/lock.js';
import { sanitizeTree } from '../util/no-follow.js';
import { urlCacheKey, type FetchOptions } from './fetch.js';
import { privateBuildpackUrlsAllowed, UrlGuard } from './url-policy.js';

export interface GitBuildpackUrl {
  /** The repository URL, without the fragment. */
  url: string;
  /** `#ref`: a branch, tag or commit; undefined for the remote's default branch. */
  ref?: string;
}

/** `https://host/org/repo.git[#ref]`: a buildpack in a git repository (Cloud Foundry's, Heroku's and Dokku's form). */
export function isGitBuildpackUrl(value: string): boolean {
  return /^https?:\/\/[^#]+\.git\/?(#.*)?$/i.test(value);
}

const REF = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/;

export function parseGitBuildpackUrl(value: string): GitBuildpackUrl {
  const hash = value.indexOf('#');
  const url = hash < 0 ? value : value.slice(0, hash);
  const ref = hash < 0 ? undefined : value.slice(hash + 1);
  if (ref !== undefined && (!REF.test(ref) || ref.includes('..'))) {
    throw new DropshipError('BUILDPACK_URL_INVALID', `buildpack '${value}': '#${ref}' is not a branch, tag or commit`, {
      hint: 'write https://host/org/repo.git#v1.2.3 (a branch, tag or commit after #), or leave out # for the default branch',
    });
  }
  return { url, ...(ref ? { ref } : {}) };
}

/**
 * git as the fetcher of a buildpack repository: no prompts, no user or system config, https/http only
 * (no ext::, file:// or ssh through a submodule or a redirect), no redirects for an app's URL.
 */
function git(args: string[], options: { gitDir?: string; fromApp?: boolean; timeoutMs?: number } = {}) {
  const config = [
    '-c', 'protocol.allow=never', '-c', 'protocol.https.allow=always', '-c', 'protocol.http.allow=always',
    '-c', `http.followRedirects=${options.fromApp ? 'false' : 'initial'}`,
    '-c', 'core.symlinks=true', '-c', 'advice.detachedHead=false',
  ];
  return execa('git', [...config, ...(options.gitDir ? ['--git-dir', options.gitDir] : []), ...args], {
    reject: false,
    timeout: options.timeoutMs ?? 300_000,
    env: { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GIT_ASKPASS: 'true' },
    extendEnv: false,
  });
}

function gitFailed(what: string, url: string, stderr: string): DropshipError {
  const last = stderr.trim().split('\n').filter(Boolean).slice(-2).join('; ');
  return new DropshipError('BUILDPACK_GIT_FAILED', `buildpack ${url}: ${what}: ${last || 'git failed'}`, {
    hint: 'check the URL and the #ref (a branch, tag or commit), and that this host can reach the repository',
  });
}

/** Fetch what `ref` needs into the mirror and answer the commit it names. */
async function resolveCommit(mirror: string, parsed: GitBuildpackUrl, fromApp: boolean): Promise<string> {
  const refspecs = parsed.ref
    ? ['+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*']
    : ['+HEAD:refs/remotes/origin/HEAD'];
  const fetched = await git(['fetch', '--quiet', '--no-recurse-submodules', parsed.url, ...refspecs], { gitDir: mirror, fromApp });
  const candidates = parsed.ref
    ? [`refs/remotes/origin/${parsed.ref}`, `refs/tags/${parsed.ref}`, parsed.ref]
    : ['refs/remotes/origin/HEAD'];
  for (const name of candidates) {
    const rev = await git(['rev-parse', '--verify', '--quiet', `${name}^{commit}`], { gitDir: mirror });
    if (rev.exitCode === 0) return rev.stdout.trim();
  }
  if (fetched.exitCode !== 0) throw gitFailed('git fetch failed', parsed.url, fetched.stderr);
  throw gitFailed(`no branch, tag or commit '${parsed.ref}'`, parsed.url, '');
}

/**
 * A git buildpack as a local directory: the repository is fetched into a mirror kept per URL
 * (`buildpacks/git/<key>/mirror`), the ref resolved to a commit, and that commit checked out once
 * into `buildpacks/git/<key>/<commit>` (cached by resolved commit: a branch that moved gets a new
 * checkout, a pinned commit is never fetched again). The checkout is root-owned and setuid-free.
 */
export async function fetchGitBuildpack(value: string, options: FetchOptions = {}): Promise<{ dir: string; url: string; commit: string }> {
  const parsed = parseGitBuildpackUrl(value);
  const fromApp = Boolean(options.fromApp) && !privateBuildpackUrlsAllowed();
  // git makes its own connections: an app's URL is checked before, and may not redirect.
  if (fromApp) await new UrlGuard(typeof options.fromApp === 'string' ? options.fromApp : "the app's manifest", options.addressAllowed).check(parsed.url);
  const paths = homePaths(options.home);
  const key = urlCacheKey(parsed.url);
  const root = join(paths.buildpacks, 'git', key);
  return withLock(join(paths.locks, `buildpack-git-${key}.lock`), async () => {
    const mirror = join(root, 'mirror');
    if (!(await stat(join(mirror, 'HEAD')).catch(() => undefined))) {
      await mkdir(root, { recursive: true, mode: 0o700 });
      const init = await git(['init', '--quiet', '--bare', mirror]);
      if (init.exitCode !== 0) throw gitFailed('git init failed', parsed.url, init.stderr);
    }
    const commit = /^[0-9a-f]{40}$/.test(parsed.ref ?? '') && (await git(['cat-file', '-e', `${parsed.ref}^{commit}`], { gitDir: mirror })).exitCode === 0
      ? parsed.ref!
      : await resolveCommit(mirror, parsed, fromApp);
    const dir = join(root, commit);
    if (await stat(join(dir, 'bin')).catch(() => undefined)) return { dir, url: parsed.url, commit };
    const fresh = `${dir}.${process.pid}.new`;
    await rm(fresh, { recursive: true, force: true });
    await mkdir(fresh, { mode: 0o755 });
    try {
      const checkout = await git(['--work-tree', fresh, 'checkout', '--quiet', '--force', commit, '--', '.'], { gitDir: mirror });
      if (checkout.exitCode !== 0) throw gitFailed(`git checkout of ${commit} failed`, parsed.url, checkout.stderr);
      // git writes only 0644/0755 files and links, but the tree is the repository author's: make sure.
      await sanitizeTree(fresh, { owner: { uid: 0, gid: 0 } });
      await rm(dir, { recursive: true, force: true });
      await rename(fresh, dir);
    } catch (error) {
      await rm(fresh, { recursive: true, force: true });
      throw error;
    }
    return { dir, url: parsed.url, commit };
  });
}
