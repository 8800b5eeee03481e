import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { normalizeContainerOptions, type NormalizedContainerOptions } from './options.js';
import type { ContainerOptions } from './types.js';

/**
 * A monitored container's options, kept in its bundle so that a later process can rebuild its
 * handle (exec needs the spec's process settings, wait the exit file, destroy the paths). Only
 * root can read it (0600): env may hold secrets.
 */
export const RECORD_FILE = 'container.json';

interface RecordFile {
  version: 1;
  options: Omit<NormalizedContainerOptions, 'stdin' | 'onStdout' | 'onStderr'>;
}

export async function writeRecord(bundle: string, options: NormalizedContainerOptions): Promise<void> {
  const { stdin: _stdin, onStdout: _out, onStderr: _err, ...saved } = options;
  const record: RecordFile = { version: 1, options: saved };
  // Written whole or not at all: a reader never sees half a record.
  const path = join(bundle, RECORD_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
  await rename(`${path}.tmp`, path);
}

function invalidRecord(path: string, why: string, cause?: unknown): DropshipError {
  return new DropshipError('CONTAINER_RECORD_INVALID', `${path}: ${why}`, {
    hint: 'the container cannot be adopted; remove what is left of it with cleanupContainer(id) (`dropship gc`)',
    cause,
  });
}

/**
 * The options a monitored container was created with, validated again as on create; undefined
 * when the bundle has no record (not a monitored container, or one whose create never got
 * that far).
 */
export async function readRecord(bundle: string, id: string): Promise<NormalizedContainerOptions | undefined> {
  const path = join(bundle, RECORD_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw invalidRecord(path, `cannot be read (${(error as Error).message})`, error);
  }
  let record: RecordFile;
  try {
    record = JSON.parse(text) as RecordFile;
  } catch (error) {
    throw invalidRecord(path, `is not JSON (${(error as Error).message})`, error);
  }
  if (record?.version !== 1 || typeof record.options !== 'object' || record.options === null) throw invalidRecord(path, 'is not a version 1 container record');
  if (record.options.id !== id) throw invalidRecord(path, `names container ${JSON.stringify(record.options.id)}, not ${id}`);
  if (!record.options.monitor) throw invalidRecord(path, 'has no monitor settings');
  try {
    return normalizeContainerOptions(record.options as ContainerOptions);
  } catch (error) {
    throw invalidRecord(path, (error as Error).message, error);
  }
}
