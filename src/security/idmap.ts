import { DropshipError } from '../errors.js';

export interface IdMapping {
  containerID: number;
  hostID: number;
  size: number;
}

/**
 * How container ids map to host ids (umoci's MapOptions idea): passed as a value to everything
 * that writes files for a container or builds its spec, so there is no scattered `if (root)`.
 */
export interface IdMap {
  uidMap: IdMapping[];
  gidMap: IdMapping[];
}

export const VCAP_UID = 2000;
export const VCAP_GID = 2000;

/** Container root lands on an unprivileged host range; DROPSHIP_ID_BASE moves it. */
export function defaultIdMap(env: NodeJS.ProcessEnv = process.env): IdMap {
  const base = env.DROPSHIP_ID_BASE ? Number(env.DROPSHIP_ID_BASE) : 1_000_000;
  if (!Number.isInteger(base) || base <= 0) {
    throw new DropshipError('INVALID_ID_BASE', `DROPSHIP_ID_BASE: '${env.DROPSHIP_ID_BASE}' is not a positive integer`, {
      hint: 'set DROPSHIP_ID_BASE to the first host uid of an unused range of 65536 ids, e.g. 1000000',
    });
  }
  const mapping = [{ containerID: 0, hostID: base, size: 65536 }];
  return { uidMap: mapping, gidMap: mapping };
}

function shift(id: number, map: IdMapping[], kind: string): number {
  for (const m of map) {
    if (id >= m.containerID && id < m.containerID + m.size) return m.hostID + (id - m.containerID);
  }
  throw new DropshipError('UNMAPPED_ID', `${kind} ${id} is outside the container's id map`, {
    hint: 'files in a layer must be owned by ids inside the mapped range (0–65535)',
  });
}

/** The host uid that a container uid is stored as on disk. */
export function hostUid(map: IdMap, uid: number): number {
  return shift(uid, map.uidMap, 'uid');
}

export function hostGid(map: IdMap, gid: number): number {
  return shift(gid, map.gidMap, 'gid');
}

/** A short, stable key for caches of files written under this map (unpacked layers). */
export function idMapKey(map: IdMap): string {
  const part = (m: IdMapping[]) => m.map((x) => `${x.containerID}-${x.hostID}-${x.size}`).join('_');
  return `u${part(map.uidMap)}g${part(map.gidMap)}`;
}
