import { DropshipError } from '../errors.js';
import { isAtOrBelow, parentOf } from './confined-root.js';

type Kind = 'directory' | 'file' | 'symlink' | 'link';

/**
 * The tree a droplet's entries describe, kept while it is re-packed into a layer, so that an
 * entry that would be written through a symlink the droplet made (app/l → /etc, then app/l/passwd)
 * or under a file is refused when the image is built, naming the entry, not when the layer is
 * unpacked on the host. Later entries win, as they do when the layer is unpacked: a non-directory
 * replacing a directory drops everything recorded below it.
 */
export class DropletPaths {
  private readonly kinds = new Map<string, Kind>([['', 'directory']]);

  add(rel: string, kind: Kind, entryName: string): void {
    // Parents the droplet never named are made as directories when the layer is unpacked.
    for (const implied of this.checkParents(rel, entryName)) this.kinds.set(implied, 'directory');
    const before = this.kinds.get(rel);
    if (before === 'directory' && kind !== 'directory') {
      for (const key of this.kinds.keys()) if (key !== rel && isAtOrBelow(key, rel)) this.kinds.delete(key);
    }
    this.kinds.set(rel, kind);
  }

  /** A hard link's target: something the droplet already holds (not a directory), reached without a symlink. */
  checkLinkTarget(target: string, entryName: string): void {
    this.checkParents(target, entryName);
    const kind = this.kinds.get(target);
    if (kind === undefined || kind === 'directory') {
      throw bad(entryName, `its hard link target '${target}' is ${kind ? 'a directory' : 'not in the droplet before it'}`);
    }
  }

  /**
   * Every directory above `rel` must be a directory of the droplet, never a symlink or a file.
   * A recorded directory ends the walk: it was recorded with its own parents checked, and
   * replacing any of them by a non-directory dropped it. Returns the parents not yet recorded.
   */
  private checkParents(rel: string, entryName: string): string[] {
    const implied: string[] = [];
    for (let dir = parentOf(rel); dir !== ''; dir = parentOf(dir)) {
      const kind = this.kinds.get(dir);
      if (kind === 'directory') break;
      if (kind === 'symlink') throw bad(entryName, `its parent ${dir} is a symlink in the droplet, and writing through it could leave /home/vcap`);
      if (kind !== undefined) throw bad(entryName, `its parent ${dir} is a file in the droplet, not a directory`);
      implied.push(dir);
    }
    return implied;
  }
}

export function bad(entryName: string, why: string): DropshipError {
  return new DropshipError('DROPLET_BAD_ENTRY', `droplet entry '${entryName}' ${why}`, {
    hint: 'the droplet is damaged or hostile; stage the app again',
  });
}
