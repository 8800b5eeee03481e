import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import { homePaths } from '../home.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { defaultGroups } from './defaults.js';
import type { Binding, GroupStore, Lease, SecurityGroupRule } from './types.js';

export const groupsPath = (): string => join(homePaths().network, 'security-groups.json');

/** A store that was never written holds the defaults: public_networks and dns, bound to staging. */
export function defaultStore(now = new Date().toISOString()): GroupStore {
  const groups = defaultGroups();
  return {
    version: 1,
    groups: Object.fromEntries(groups.map((group) => [group.name, { rules: group.rules, updatedAt: now }])),
    bindings: groups.map((group) => ({ group: group.name, kind: 'staging' as const })),
  };
}

export async function readGroups(): Promise<GroupStore> {
  try {
    return JSON.parse(await readFile(groupsPath(), 'utf8')) as GroupStore;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return defaultStore();
    throw new DropshipError('INVALID_SECURITY_GROUPS', `${groupsPath()}: cannot read security groups: ${(error as Error).message}`, {
      hint: 'fix or remove the file (removing it restores the default groups)',
      cause: error,
    });
  }
}

export async function writeGroups(store: GroupStore): Promise<void> {
  await writeJsonAtomic(groupsPath(), store);
}

export function sameBinding(a: Binding, b: Binding): boolean {
  return a.group === b.group && a.kind === b.kind && (a.app ?? '') === (b.app ?? '');
}

/** The groups that apply to a container: bound to its kind (globally or for its app), plus its own. */
export function groupsFor(store: GroupStore, lease: Pick<Lease, 'kind' | 'app' | 'securityGroups'>): string[] {
  const names = new Set<string>();
  for (const binding of store.bindings) {
    if (binding.kind === lease.kind && (binding.app === undefined || binding.app === lease.app)) names.add(binding.group);
  }
  for (const name of lease.securityGroups) names.add(name);
  return [...names].filter((name) => store.groups[name]).sort();
}

export function rulesFor(store: GroupStore, lease: Pick<Lease, 'kind' | 'app' | 'securityGroups'>): SecurityGroupRule[] {
  return groupsFor(store, lease).flatMap((name) => store.groups[name]!.rules);
}

export function requireGroup(store: GroupStore, name: string): void {
  if (!store.groups[name]) {
    throw new DropshipError('SECURITY_GROUP_NOT_FOUND', `security group '${name}' does not exist`, {
      hint: 'list them with `dropship security-group ls`',
    });
  }
}

/** What LOG lines name a container by: its app, else its id. */
export function logLabel(lease: Pick<Lease, 'app' | 'containerId'>): string {
  return lease.app ?? lease.containerId;
}
