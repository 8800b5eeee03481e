import { open } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { DropshipError } from '../errors.js';
import type { ExitInfo } from './types.js';

/** The status conmon writes when it could not learn one (a timeout, a lost child). */
const UNKNOWN = -1;

function signalName(n: number): string | undefined {
  return Object.entries(osConstants.signals).find(([, value]) => value === n)?.[0];
}

/** An exit whose status nobody can know; `statusError` says why, naming the file or the process. */
export function unknownExit(error: DropshipError): ExitInfo {
  return { exitCode: UNKNOWN, oomKilled: false, timedOut: false, statusError: error };
}

/**
 * conmon writes the init's status as decimal text: the exit code, or 128+n when signal n killed
 * it (as a shell reports it), or -1 when it did not know. It writes a temp file and renames it,
 * so a file holding anything else was not written by conmon whole: the container has exited,
 * its status is unknown, and the error names the file.
 */
export function parseExitStatus(text: string, path: string): ExitInfo {
  const trimmed = text.trim();
  const code = /^-?\d{1,3}$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (code === UNKNOWN) {
    return unknownExit(new DropshipError('EXIT_STATUS_UNKNOWN', `exit file ${path}: conmon did not learn the container's exit status (-1)`, {
      hint: 'the container has exited; look at its log for why',
    }));
  }
  if (!Number.isInteger(code) || code < 0 || code > 255) {
    return unknownExit(new DropshipError('EXIT_FILE_INVALID', `exit file ${path}: ${JSON.stringify(trimmed.slice(0, 40))} is not an exit status (0-255)`, {
      hint: 'the file was not written by conmon (or was cut short); the container has exited with an unknown status: destroy() it',
    }));
  }
  const signal = code > 128 ? signalName(code - 128) : undefined;
  return { exitCode: code, ...(signal ? { signal } : {}), oomKilled: false, timedOut: false };
}

/** The exit file's status, or undefined while it does not exist. Reads at most 64 bytes: a status is 4. */
export async function readExitFile(path: string): Promise<ExitInfo | undefined> {
  let text: string;
  try {
    const file = await open(path, 'r');
    try {
      const { buffer, bytesRead } = await file.read({ buffer: Buffer.alloc(64) });
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await file.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return unknownExit(new DropshipError('EXIT_FILE_UNREADABLE', `exit file ${path} cannot be read: ${(error as Error).message}`, {
      hint: 'the container has exited with an unknown status; check the exit directory\'s permissions',
      cause: error,
    }));
  }
  return parseExitStatus(text, path);
}
