import { DropshipError, isDropshipError } from '../errors.js';
import { validateAppName } from './state.js';

/** The owner name of an app's host port in the network room's one table (and of its data path). */
export const appPortOwner = (name: string): string => `app:${validateAppName(name)}`;

/**
 * The app's host port, kept for the app's life so its address never changes: the one asked for,
 * or the lowest free one of the pool. The network room owns every host port (apps, task and
 * container leases, other stores on the host), so no two owners ever get the same one. Asking for
 * another port moves the app there. The network code loads only here, not for `ps` or `logs`.
 */
export async function allocateHostPort(name: string, requested?: number): Promise<number> {
  const { reserveHostPort } = await import('../network/index.js');
  // `-p 0` (or `-p :8080`) asks for no port in particular.
  return reserveHostPort(appPortOwner(name), requested || undefined).catch((error: unknown) => {
    if (!isDropshipError(error) || error.code !== 'PORT_IN_USE') throw error;
    throw new DropshipError(error.code, error.message, { hint: 'choose another port with -p, or leave -p out to get one from the pool', cause: error });
  });
}

/** Give the app's host port back (its app is deleted, or was never started). */
export async function releaseAppHostPort(name: string): Promise<void> {
  const { releaseHostPort } = await import('../network/index.js');
  await releaseHostPort(appPortOwner(name));
}
