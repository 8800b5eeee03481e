import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A Debian repository in a local directory (file: URI, flat layout) with apt pointed at it
 * through APT_CONFIG, which apt reads instead of /etc/apt/apt.conf: its own sources, lists,
 * cache and an empty dpkg status, so nothing of the host's apt state is read or changed, and
 * apt-get update runs without the network. The tiny recipe then builds from exactly the
 * packages the test puts here — a "mirror" the test can change.
 */
export interface AptFixture {
  dir: string;
  /** Real .debs fetched once from the host's mirror: file names in `pool`. */
  pool: string[];
  /** Publish these pool files (and only these) as the repository's packages. */
  publish(debs: string[]): void;
  /** Point the sources at a directory that does not exist: the next apt-get update fails. */
  breakSources(): void;
  env: { APT_CONFIG: string };
  remove(): void;
}

/** Undefined (with the reason) when this host cannot make one: no dpkg-scanpackages, or the mirror is unreachable. */
export function makeAptFixture(dir: string, packages: string[]): AptFixture | string {
  if (spawnSync('dpkg-scanpackages', ['--version']).error) return 'dpkg-scanpackages (dpkg-dev) is not installed';
  for (const sub of ['pool', 'repo', 'lists/partial', 'cache/archives/partial', 'empty']) mkdirSync(join(dir, sub), { recursive: true, mode: 0o755 });
  chmodSync(dir, 0o755);
  // apt drops to _apt for downloads, which must be able to write here.
  chmodSync(join(dir, 'pool'), 0o777);
  const fetched = spawnSync('apt-get', ['download', '-q', ...packages], { cwd: join(dir, 'pool'), encoding: 'utf8' });
  if (fetched.status !== 0) return `apt-get download ${packages.join(' ')} failed: ${fetched.stderr.trim().split('\n').pop()}`;
  const conf = join(dir, 'apt.conf');
  const sources = join(dir, 'sources.list');
  writeFileSync(join(dir, 'status'), '');
  writeFileSync(
    conf,
    [
      `Dir::Etc::SourceList "${sources}";`,
      `Dir::Etc::SourceParts "${join(dir, 'empty')}";`,
      `Dir::Etc::Preferences "${join(dir, 'empty', 'none')}";`,
      `Dir::Etc::PreferencesParts "${join(dir, 'empty')}";`,
      `Dir::State::Lists "${join(dir, 'lists')}";`,
      `Dir::State::status "${join(dir, 'status')}";`,
      `Dir::Cache "${join(dir, 'cache')}";`,
      '',
    ].join('\n'),
  );
  writeFileSync(sources, `deb [trusted=yes] file:${join(dir, 'repo')} ./\n`);
  return {
    dir,
    pool: readdirSync(join(dir, 'pool')).filter((n) => n.endsWith('.deb')).sort(),
    publish(debs) {
      const repo = join(dir, 'repo');
      for (const name of readdirSync(repo)) rmSync(join(repo, name));
      for (const deb of debs) copyFileSync(join(dir, 'pool', deb), join(repo, deb));
      const index = execFileSync('dpkg-scanpackages', ['--multiversion', '.', '/dev/null'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      writeFileSync(join(repo, 'Packages'), index);
    },
    breakSources() {
      writeFileSync(sources, `deb [trusted=yes] file:${join(dir, 'no-such-repo')} ./\n`);
    },
    env: { APT_CONFIG: conf },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
