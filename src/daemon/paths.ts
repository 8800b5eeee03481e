import { join } from 'node:path';
import { homePaths } from '../home.js';

/**
 * What the daemon keeps for its instances, apart from the apps' own state: conmon's log file of
 * each container (with the offset the daemon has read up to) and conmon's exit files. Root only.
 */
export function instanceDirs(root = homePaths().root): { logs: string; exits: string } {
  const dir = join(root, 'daemon');
  return { logs: join(dir, 'logs'), exits: join(dir, 'exits') };
}

/** Labels on an instance's container, beside the apps room's app and index: what adoption needs. */
export const GUID_LABEL = 'dropship.guid';
export const IP_LABEL = 'dropship.ip';
/** The release and image digest an instance was started from: known even when no status was written (a daemon killed mid-roll). */
export const RELEASE_LABEL = 'dropship.release';
export const DIGEST_LABEL = 'dropship.digest';
