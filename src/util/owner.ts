import { readFile } from 'node:fs/promises';

/**
 * Who runs a staging, or leased a container's address: a pid and the kernel's start time of that
 * pid (field 22 of /proc/PID/stat), so that a pid reused by another process after a crash does not
 * count as the owner still alive.
 */
export interface StagingOwner {
  pid: number;
  start: string;
}

async function startTime(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

export async function currentOwner(): Promise<StagingOwner> {
  return { pid: process.pid, start: (await startTime(process.pid)) ?? '' };
}

export function formatOwner(owner: StagingOwner): string {
  return `${owner.pid}:${owner.start}`;
}

/** `pid:start` as written by formatOwner; undefined for anything else. */
export function parseOwner(text: string | undefined): StagingOwner | undefined {
  const match = /^(\d+):(\d+)$/.exec(text?.trim() ?? '');
  return match ? { pid: Number(match[1]), start: match[2]! } : undefined;
}

export async function ownerAlive(owner: StagingOwner): Promise<boolean> {
  return (await startTime(owner.pid)) === owner.start;
}
