import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { extract } from 'tar-stream';

/**
 * What the lifecycle reads back from a step (the detect plan, a buildpack's tomls and env files)
 * is read INSIDE the container, as vcap, by the same exec that ran the step: a symlink planted
 * by a buildpack then resolves in the container with vcap's rights, never on the host as root
 * while a leftover process may still be changing the tree. Symlinks are skipped, only the levels
 * the spec defines are listed, and the bytes travel base64-encoded on stdout after a marker line
 * (one exec per step instead of two: each runc exec costs ~100 ms here).
 */

/** Files of one buildpack's layers dir that the lifecycle needs between steps. */
export interface LayersSnapshot {
  /** Relative path → content, for regular files only. */
  files: Map<string, string>;
  /** Relative paths of directories (to see `<layer>/bin`, `<layer>/lib`). */
  dirs: Set<string>;
}

const LIST_LAYERS = [
  'cd "$dir" 2>/dev/null || exit 0',
  'set --',
  'for f in *.toml */ */bin */lib */env */env.build */env.launch */env/* */env.build/* */env.launch/* */env.launch/*/*; do',
  '  [ -L "${f%/}" ] && continue',
  '  if [ -f "$f" ] || [ -d "$f" ]; then set -- "$@" "${f%/}"; fi',
  'done',
  '[ $# -gt 0 ] || exit 0',
  'tar -cf - --no-recursion "$@" | base64',
].join('\n');

/** `sh -c DETECT <path> <marker> bin/detect <platform> <plan>`: an empty plan, detect, then the plan. */
export const DETECT_WRAPPER = [
  'path=$1 mark=$2',
  'shift 2',
  ': >"$path" || exit 90',
  '"$@"',
  'rc=$?',
  '[ $rc -eq 0 ] || exit $rc',
  'echo',
  'echo "$mark"',
  'if [ -f "$path" ] && [ ! -L "$path" ]; then base64 <"$path"; fi',
].join('\n');

/** `sh -c BUILD <layers> <plan text> <plan path> <marker> bin/build <layers> <platform> <plan>`. */
export const BUILD_WRAPPER = [
  'dir=$1 plan=$2 path=$3 mark=$4',
  'shift 4',
  'mkdir -p "$dir" && printf "%s" "$plan" >"$path" || exit 90',
  '"$@" || exit $?',
  'echo',
  'echo "$mark"',
  '(',
  LIST_LAYERS,
  ')',
].join('\n');

/**
 * Splits a step's stdout: lines before the marker are the buildpack's (logged), lines after it
 * are the dump. The marker is random per step, so a buildpack's own output cannot start a dump
 * by accident (one that forges it only spoils its own plan).
 */
export class StepCapture {
  marker = '';
  private capturing = false;
  private readonly dump: string[] = [];
  private held: string | undefined;

  start(): string {
    this.marker = `--dropship-dump-${randomBytes(12).toString('hex')}--`;
    this.capturing = false;
    this.dump.length = 0;
    this.held = undefined;
    return this.marker;
  }

  /** Returns the lines to log now (an empty line is held back: it may be the one before the marker). */
  line(line: string): string[] {
    if (this.capturing) {
      this.dump.push(line);
      return [];
    }
    if (this.marker && line === this.marker) {
      this.capturing = true;
      this.held = undefined;
      return [];
    }
    const out = this.held !== undefined ? [this.held] : [];
    this.held = undefined;
    if (line === '') this.held = line;
    else out.push(line);
    return out;
  }

  /** The dump's bytes (undefined when the step never reached its marker), and ends the capture. */
  finish(): { bytes: Buffer | undefined; pending: string[] } {
    const bytes = this.capturing ? Buffer.from(this.dump.join(''), 'base64') : undefined;
    const pending = this.held !== undefined ? [this.held] : [];
    this.marker = '';
    this.capturing = false;
    this.held = undefined;
    return { bytes, pending };
  }
}

export async function parseLayersDump(bytes: Buffer | undefined): Promise<LayersSnapshot> {
  const snapshot: LayersSnapshot = { files: new Map(), dirs: new Set() };
  if (!bytes || bytes.length === 0) return snapshot;
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
