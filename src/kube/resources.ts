import type { IResourceRequirements } from 'kubernetes-models/v1';
import { cpuSharesForMemory } from '../container/spec/limits.js';
import type { KubeProcess } from './types.js';

/**
 * dropship's cgroup cpu weight in Kubernetes terms: a cpu request of shares × 1000 / 1024
 * millicores is exactly the cpu.shares the kubelet then writes (it converts back the same way).
 * No cpu limit: shares are a weight under contention, not a cap, as on one host.
 */
export function cpuMillicores(memoryBytes: number): number {
  return Math.max(1, Math.round((cpuSharesForMemory(memoryBytes) * 1000) / 1024));
}

/** Bytes as a Kubernetes quantity, in the largest binary unit that divides them (256Mi, 1Gi). */
export function quantity(bytes: number): string {
  for (const [unit, size] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** Memory and disk: request = limit (Guaranteed memory, like the cgroup limit); disk is ephemeral-storage. */
export function resourcesFor(process: KubeProcess): IResourceRequirements {
  const memory = quantity(process.memoryBytes);
  const disk = quantity(process.diskBytes);
  return {
    requests: { cpu: `${cpuMillicores(process.memoryBytes)}m`, memory, 'ephemeral-storage': disk },
    limits: { memory, 'ephemeral-storage': disk },
  };
}
