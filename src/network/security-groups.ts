import { DropshipError } from '../errors.js';
import { logLabel, readGroups, requireGroup, rulesFor, sameBinding, writeGroups } from './groups.js';
import { restore } from './host.js';
import { rewriteScript, rulesDigest, type ContainerRules } from './iptables-rules.js';
import { readLeases, withNetworkLock, writeLeases } from './leases.js';
import { checkGroupName, parseRules } from './rules.js';
import type { Binding, GroupStore, NetworkKind, SecurityGroupInfo } from './types.js';

export interface RefreshReport {
  /** Containers whose chain was rewritten (their rules changed). */
  updated: string[];
  /** Attached containers whose rules were already current. */
  unchanged: number;
}

/** Rewrite the chains of attached containers whose rules changed, in one iptables transaction. */
async function refreshLocked(store: GroupStore): Promise<RefreshReport> {
  const file = await readLeases();
  const changed: ContainerRules[] = [];
  const digests = new Map<string, string>();
  let unchanged = 0;
  for (const lease of Object.values(file.leases)) {
    if (!lease.attached) continue;
    const rules = rulesFor(store, lease);
    const digest = rulesDigest(rules);
    if (digest === lease.appliedDigest) {
      unchanged++;
      continue;
    }
    changed.push({ short: lease.short, ip: lease.ip, hostPorts: lease.hostPorts, rules, label: logLabel(lease) });
    digests.set(lease.containerId, digest);
  }
  if (changed.length) {
    await restore(rewriteScript(changed), `updating security groups of ${changed.length} container(s)`);
    for (const [id, digest] of digests) file.leases[id]!.appliedDigest = digest;
    await writeLeases(file);
  }
  return { updated: [...digests.keys()], unchanged };
}

/** Bring every running container's rules in line with the stored groups and bindings. */
export async function refreshBindings(): Promise<RefreshReport> {
  return withNetworkLock(async () => refreshLocked(await readGroups()));
}

async function mutate(change: (store: GroupStore) => void): Promise<RefreshReport> {
  return withNetworkLock(async () => {
    const store = await readGroups();
    change(store);
    await writeGroups(store);
    return refreshLocked(store);
  });
}

/** Set the groups a container has on top of its bindings, and apply them at once. */
export async function applySecurityGroups(containerId: string, groups: string[]): Promise<RefreshReport> {
  return withNetworkLock(async () => {
    const store = await readGroups();
    for (const name of groups) requireGroup(store, name);
    const file = await readLeases();
    const lease = file.leases[containerId];
    if (!lease) {
      throw new DropshipError('CONTAINER_NOT_ATTACHED', `container ${containerId} has no network`, {
        hint: 'security groups apply to containers started with networking',
      });
    }
    lease.securityGroups = [...new Set(groups)];
    await writeLeases(file);
    return refreshLocked(store);
  });
}

export async function createSecurityGroup(name: string, rules: unknown): Promise<RefreshReport> {
  checkGroupName(name);
  const parsed = parseRules(rules);
  return mutate((store) => {
    if (store.groups[name]) {
      throw new DropshipError('SECURITY_GROUP_EXISTS', `security group '${name}' already exists`, {
        hint: `change it with \`dropship security-group update ${name} RULES.json\``,
      });
    }
    store.groups[name] = { rules: parsed, updatedAt: new Date().toISOString() };
  });
}

export async function updateSecurityGroup(name: string, rules: unknown): Promise<RefreshReport> {
  const parsed = parseRules(rules);
  return mutate((store) => {
    requireGroup(store, name);
    store.groups[name] = { rules: parsed, updatedAt: new Date().toISOString() };
  });
}

/** Delete a group and its bindings; containers lose what it opened at once. */
export async function deleteSecurityGroup(name: string): Promise<RefreshReport> {
  return mutate((store) => {
    requireGroup(store, name);
    delete store.groups[name];
    store.bindings = store.bindings.filter((binding) => binding.group !== name);
  });
}

export interface BindTarget {
  kind: NetworkKind;
  /** Absent: every app. */
  app?: string;
}

export async function bindSecurityGroup(name: string, target: BindTarget): Promise<RefreshReport> {
  const binding: Binding = { group: name, kind: target.kind, ...(target.app ? { app: target.app } : {}) };
  return mutate((store) => {
    requireGroup(store, name);
    if (!store.bindings.some((b) => sameBinding(b, binding))) store.bindings.push(binding);
  });
}

export async function unbindSecurityGroup(name: string, target: BindTarget): Promise<RefreshReport> {
  const binding: Binding = { group: name, kind: target.kind, ...(target.app ? { app: target.app } : {}) };
  return mutate((store) => {
    requireGroup(store, name);
    const before = store.bindings.length;
    store.bindings = store.bindings.filter((b) => !sameBinding(b, binding));
    if (store.bindings.length === before) {
      const where = `${target.kind}${target.app ? ` for app ${target.app}` : ''}`;
      throw new DropshipError('SECURITY_GROUP_NOT_BOUND', `security group '${name}' is not bound to ${where}`, {
        hint: 'see the bindings with `dropship security-group ls`',
      });
    }
  });
}

export async function listSecurityGroups(): Promise<SecurityGroupInfo[]> {
  const store = await readGroups();
  return Object.keys(store.groups)
    .sort()
    .map((name) => ({
      name,
      rules: store.groups[name]!.rules,
      bindings: store.bindings
        .filter((binding) => binding.group === name)
        .map((binding) => ({ kind: binding.kind, ...(binding.app ? { app: binding.app } : {}) })),
    }));
}
