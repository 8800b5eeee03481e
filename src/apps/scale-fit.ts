import { readFile } from 'node:fs/promises';
import { DropshipError } from '../errors.js';
import { formatBytes } from '../util/units.js';
import { listAppNames, readAppSpec, readSupervisorRecord, type ProcessSpec } from './state.js';

/** What the host has and what others hold, as `scale` weighs it. */
export interface HostRoom {
  /** MemTotal and MemAvailable of /proc/meminfo. */
  memTotal: number;
  memAvailable: number;
  /** Memory limits of the store's other started apps and of this app's other process types (instances × memory). */
  reservedByOthers: number;
  otherApps: number;
  /** Container addresses no instance holds yet, and the subnet they are in. */
  freeAddresses: number;
  subnet: string;
}

export interface ScaleAsk {
  name: string;
  processType: string;
  /** The app as it is, and whether its instances run now. */
  current: Pick<ProcessSpec, 'instances' | 'memoryBytes' | 'diskBytes'>;
  running: boolean;
  next: Pick<ProcessSpec, 'instances' | 'memoryBytes' | 'diskBytes'>;
}

/**
 * Whether a scale can be run on this host, decided before anything changes (issue 14: `scale -i
 * 1000` used to wedge on the network lock and leak leases). Memory limits are what the platform
 * promises each instance, so they are summed as reservations: all of them must fit in the host's
 * memory beside the other apps' limits, and what a running app grows by must fit in what the
 * host has free now. Each instance needs one container address; a roll (memory or disk
 * changed) needs one more while an old instance and its replacement overlap. Host ports are
 * per app, not per instance: a scale never needs another.
 */
export function scaleFitError(ask: ScaleAsk, room: HostRoom): DropshipError | undefined {
  const { name, next, current } = ask;
  const need = next.instances * next.memoryBytes;
  const fits = Math.max(0, Math.floor((room.memTotal - room.reservedByOthers) / next.memoryBytes));
  const hint = `ask for at most ${fits} instance(s) of ${formatBytes(next.memoryBytes)} (\`dropship scale ${name} -i ${fits}\`), or less memory each with -m`;
  const others = room.otherApps ? `, ${formatBytes(room.reservedByOthers)} of it reserved by ${room.otherApps} other app(s)` : '';
  if (room.reservedByOthers + need > room.memTotal) {
    return new DropshipError(
      'SCALE_DOES_NOT_FIT',
      `scale ${name}: ${next.instances} × ${formatBytes(next.memoryBytes)} = ${formatBytes(need)} of memory does not fit on this host (${formatBytes(room.memTotal)} in all${others})`,
      { hint },
    );
  }
  if (!ask.running) return undefined;
  const growth = need - current.instances * current.memoryBytes;
  if (growth > room.memAvailable) {
    return new DropshipError(
      'SCALE_DOES_NOT_FIT',
      `scale ${name}: ${formatBytes(growth)} more memory for ${ask.processType} is more than the host has available now (${formatBytes(room.memAvailable)} MemAvailable)`,
      { hint: `free memory on the host first, or ${hint}` },
    );
  }
  const rolls = next.memoryBytes !== current.memoryBytes || next.diskBytes !== current.diskBytes;
  const addresses = Math.max(0, next.instances - current.instances) + (rolls && Math.min(next.instances, current.instances) > 0 ? 1 : 0);
  if (addresses > room.freeAddresses) {
    return new DropshipError(
      'SCALE_DOES_NOT_FIT',
      `scale ${name}: ${addresses} more instance(s) need ${addresses} container address(es); ${room.subnet} has ${room.freeAddresses} free`,
      { hint: 'stop or scale down other apps, run `dropship gc` for leftovers, or give the store a larger subnet (DROPSHIP_SUBNET)' },
    );
  }
  return undefined;
}

function meminfo(text: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
  if (!match) throw new DropshipError('HOST_MEMORY_UNKNOWN', `/proc/meminfo has no ${key}`, { hint: 'dropship needs a Linux /proc' });
  return Number(match[1]) * 1024;
}

/** The host's memory, what the others reserve (beside `type` of `name`) and the free container addresses. */
export async function hostRoom(name: string, type: string): Promise<HostRoom> {
  const text = await readFile('/proc/meminfo', 'utf8');
  let reservedByOthers = 0;
  let otherApps = 0;
  for (const other of await listAppNames()) {
    if (!(await readSupervisorRecord(other).catch(() => undefined))) continue;
    const spec = await readAppSpec(other).catch(() => undefined);
    if (!spec) continue;
    const processes = spec.processes.filter((p) => other !== name || p.type !== type);
    reservedByOthers += processes.reduce((n, p) => n + p.instances * p.memoryBytes, 0);
    if (other !== name) otherApps++;
  }
  const { freeAddressCount } = await import('../network/index.js');
  const { free, subnet } = await freeAddressCount();
  return { memTotal: meminfo(text, 'MemTotal'), memAvailable: meminfo(text, 'MemAvailable'), reservedByOthers, otherApps, freeAddresses: free, subnet };
}

/** Refuse at once, with the numbers, a scale this host cannot run. */
export async function requireScaleFits(ask: ScaleAsk): Promise<void> {
  const error = scaleFitError(ask, await hostRoom(ask.name, ask.processType));
  if (error) throw error;
}

/** The `events` line of a scale: the process and each value that changed, old → new. */
export function scaleEventText(current: ScaleAsk['current'] & { processType: string }, next: ScaleAsk['next']): string {
  const changes = [
    current.instances !== next.instances ? `instances ${current.instances} → ${next.instances}` : '',
    current.memoryBytes !== next.memoryBytes ? `memory ${formatBytes(current.memoryBytes)} → ${formatBytes(next.memoryBytes)}` : '',
    current.diskBytes !== next.diskBytes ? `disk ${formatBytes(current.diskBytes)} → ${formatBytes(next.diskBytes)}` : '',
  ].filter(Boolean);
  return `${current.processType}: ${changes.join(', ') || 'unchanged'}`;
}
