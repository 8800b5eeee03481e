import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../../errors.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { withLock } from '../../util/lock.js';
import { homePaths } from '../../home.js';

export interface Credentials {
  username: string;
  password: string;
}

interface AuthFile {
  auths: Record<string, { auth: string }>;
}

/** Docker's `config.json` habit: base64 `user:password` per registry, in a file only root can read. */
export function credentialsPath(root = homePaths().root): string {
  return join(root, 'auth.json');
}

async function readAuthFile(path: string): Promise<AuthFile> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<AuthFile>;
    return { auths: parsed.auths ?? {} };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { auths: {} };
    throw new DropshipError('CREDENTIALS_UNREADABLE', `cannot read the credentials file ${path}`, {
      cause: error,
      hint: `fix or delete ${path}, then run dropship login again`,
    });
  }
}

export async function loadCredentials(registry: string, path = credentialsPath()): Promise<Credentials | undefined> {
  const entry = (await readAuthFile(path)).auths[registry];
  if (!entry) return undefined;
  const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export async function saveCredentials(registry: string, credentials: Credentials, path = credentialsPath()): Promise<void> {
  await withLock(`${path}.lock`, async () => {
    const file = await readAuthFile(path);
    file.auths[registry] = { auth: Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64') };
    await writeJsonAtomic(path, file, { mode: 0o600 });
  });
}

export async function removeCredentials(registry: string, path = credentialsPath()): Promise<boolean> {
  return withLock(`${path}.lock`, async () => {
    const file = await readAuthFile(path);
    if (!(registry in file.auths)) return false;
    delete file.auths[registry];
    await writeJsonAtomic(path, file, { mode: 0o600 });
    return true;
  });
}
