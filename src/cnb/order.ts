import { join } from 'node:path';
import { DropshipError } from '../errors.js';
import type { CnbDescriptor } from './descriptor.js';
import { escapeId } from './layout.js';

/** A Cloud Native Buildpack on the host, ready to mount. */
export interface CnbBuildpack {
  /** What the user named it by (path, registered name). */
  key: string;
  dir: string;
  descriptor: CnbDescriptor;
}

export interface GroupMember {
  bp: CnbBuildpack;
  optional: boolean;
}

export type Group = GroupMember[];

/** Guards against a composite that (indirectly) contains itself. */
const MAX_DEPTH = 8;

function product(parts: Group[][]): Group[] {
  return parts.reduce<Group[]>((acc, alternatives) => acc.flatMap((prefix) => alternatives.map((g) => [...prefix, ...g])), [[]]);
}

/**
 * The order to detect with, from the `-b` list (buildpack.md "Order Resolution"): plain
 * buildpacks form one group in the order given; a composite contributes each of its `[[order]]`
 * groups as an alternative, its members found among the other `-b` buildpacks (by id, and
 * version when the group names one). Members used by a composite are not group members of their own.
 */
export function groupsFrom(named: CnbBuildpack[]): Group[] {
  return product(expandTop(named));
}

/**
 * The detect order without `-b`: first the order groups registered with `buildpack create
 * --group` (each one group, as an order.toml `[[order]]` entry, its members' composites
 * expanded), then each registered buildpack that is no composite's member as a group of its own
 * (a composite: its groups), tried in order.
 */
export function orderGroups(named: CnbBuildpack[], registered: Group[] = []): Group[] {
  const { expand, top } = expander(named);
  const fromRegistered = registered.flatMap((group) => product(group.map((m) => expand(m.bp, m.optional, 0))));
  return [...fromRegistered, ...top().flat()];
}

/** Per top-level buildpack, its alternative groups. */
function expandTop(named: CnbBuildpack[]): Group[][] {
  return expander(named).top();
}

/** Expands composites into their groups, members found among `named`; `top` leaves out the members used. */
function expander(named: CnbBuildpack[]) {
  const find = (ref: { id: string; version?: string }, composite: CnbBuildpack, field: string): CnbBuildpack => {
    const found = named.find((b) => b.descriptor.id === ref.id && (ref.version === undefined || b.descriptor.version === ref.version));
    if (!found) {
      throw new DropshipError('CNB_ORDER_MEMBER_MISSING', `${join(composite.dir, 'buildpack.toml')}: ${field}: buildpack ${ref.id}${ref.version ? `@${ref.version}` : ''} of composite ${composite.descriptor.id} was not given`, {
        hint: `add -b <dir of ${ref.id}> to the command (the composite's members are looked up among the -b buildpacks)`,
        details: { buildpack: composite.descriptor.id, field },
      });
    }
    return found;
  };
  const members = new Set<CnbBuildpack>();
  const expand = (bp: CnbBuildpack, optional: boolean, depth: number): Group[] => {
    const order = bp.descriptor.order;
    if (!order) return [[{ bp, optional }]];
    if (depth > MAX_DEPTH) {
      throw new DropshipError('CNB_ORDER_TOO_DEEP', `composite ${bp.descriptor.id} nests composites more than ${MAX_DEPTH} deep`, { hint: 'a composite must not contain itself' });
    }
    return order.flatMap((group, i) => product(group.map((ref, j) => {
      const member = find(ref, bp, `order[${i}].group[${j}]`);
      members.add(member);
      return expand(member, optional || ref.optional, depth + 1);
    })));
  };
  const top = (): Group[][] => {
    const expanded = named.map((bp) => ({ bp, groups: expand(bp, false, 0) }));
    return expanded.filter((e) => !members.has(e.bp)).map((e) => e.groups);
  };
  return { expand, top };
}

/**
 * Every member of a group has a layers dir of its own, `/layers/<escaped id>` (`/` → `_`): the
 * same buildpack twice, or ids like `a/b` and `a_b`, would share one, and its SBOMs, launch
 * layers and tomls would be taken twice (the SBOM copy then failed half-written, after the image
 * was tagged). Refused before anything runs, naming both.
 */
export function checkDistinctLayersDirs(groups: Group[]): void {
  for (const group of groups) {
    const seen = new Map<string, CnbBuildpack>();
    for (const { bp } of group) {
      const dir = escapeId(bp.descriptor.id);
      const other = seen.get(dir);
      if (other) {
        const same = other.descriptor.id === bp.descriptor.id;
        throw new DropshipError('CNB_GROUP_DUPLICATE', `buildpacks ${other.key} and ${bp.key} ${same ? `are both ${bp.descriptor.id}` : `(${other.descriptor.id} and ${bp.descriptor.id})`} in one group: they would share the layers dir /layers/${dir}`, {
          hint: same ? `give ${bp.descriptor.id} once` : 'a group\'s buildpack ids must differ after / becomes _; rename one',
          details: { buildpack: bp.descriptor.id },
        });
      }
      seen.set(dir, bp);
    }
  }
}
