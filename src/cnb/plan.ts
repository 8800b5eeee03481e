import { parseToml as parse } from './toml.js';
import { DropshipError } from '../errors.js';

/**
 * The build plan (buildpacks/spec buildpack.md, "Phase #1: Detection"): what each buildpack of a
 * group provides and requires, the `[[or]]` alternatives, and the trial rules that pick one
 * alternative per buildpack. Pure: the detector hands in what bin/detect wrote.
 */

export interface Requirement {
  name: string;
  metadata: Record<string, unknown>;
}

export interface PlanSection {
  provides: string[];
  requires: Requirement[];
}

export type DetectStatus = 'pass' | 'fail' | 'error';

export interface DetectOutcome {
  id: string;
  version: string;
  optional: boolean;
  status: DetectStatus;
  /** The main section first, then each `[[or]]`. */
  alternatives: PlanSection[];
  /** Why it failed or errored (exit code, output tail), for the "no group passed" message. */
  detail?: string;
}

export interface PlanEntry {
  name: string;
  /** Ids of the buildpacks that provide it, in group order. */
  providers: string[];
  requires: Array<Requirement & { requirer: string }>;
}

export type GroupResolution =
  | { ok: true; group: Array<{ id: string; version: string }>; entries: PlanEntry[]; skippedOptional: string[] }
  | { ok: false; reason: string };

/** The lifecycle gives up past this many trials rather than spin on a pathological group. */
export const MAX_TRIALS = 4096;

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function section(table: Record<string, unknown>, file: string, where: string): PlanSection {
  const list = (key: 'provides' | 'requires'): Array<Record<string, unknown>> => {
    const value = table[key];
    if (value === undefined) return [];
    if (!Array.isArray(value) || !value.every(isTable)) {
      throw planError(file, `${where}${key}`, `must be [[${key}]] tables`);
    }
    return value;
  };
  const name = (entry: Record<string, unknown>, field: string): string => {
    if (typeof entry.name !== 'string' || entry.name === '') throw planError(file, `${field} name`, 'is missing');
    return entry.name;
  };
  return {
    provides: list('provides').map((p, i) => name(p, `${where}provides[${i}]`)),
    requires: list('requires').map((r, i) => {
      const field = `${where}requires[${i}]`;
      if (r.metadata !== undefined && !isTable(r.metadata)) throw planError(file, `${field} metadata`, 'must be a table');
      return { name: name(r, field), metadata: (r.metadata as Record<string, unknown> | undefined) ?? {} };
    }),
  };
}

function planError(file: string, field: string, problem: string): DropshipError {
  return new DropshipError('CNB_PLAN_INVALID', `${file}: ${field}: ${problem}`, {
    hint: 'bin/detect writes [[provides]] name = "…" and [[requires]] name = "…" (optionally [requires.metadata]) and [[or]] alternatives',
    details: { file, field },
  });
}

/** What bin/detect wrote to CNB_BUILD_PLAN_PATH; an empty file is a plan with no entries. */
export function parseDetectPlan(text: string, file: string): PlanSection[] {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new DropshipError('CNB_PLAN_INVALID', `${file}: not valid TOML: ${(error as Error).message.split('\n')[0]}`, {
      hint: 'fix what bin/detect writes to the plan', cause: error, details: { file },
    });
  }
  const main = section(doc, file, '');
  const or = doc.or === undefined ? [] : doc.or;
  if (!Array.isArray(or) || !or.every(isTable)) throw planError(file, 'or', 'must be [[or]] tables');
  return [main, ...or.map((o, i) => section(o, file, `or[${i}].`))];
}

type Choice = { id: string; version: string; section: PlanSection };

/** The first rule a trial breaks, or undefined when every provide is required and every require provided. */
export function trialProblem(trial: Choice[]): string | undefined {
  if (trial.length === 0) return 'no buildpack is left once the optional ones are dropped';
  for (const [i, c] of trial.entries()) {
    for (const name of c.section.provides) {
      if (!trial.slice(i).some((later) => later.section.requires.some((r) => r.name === name))) {
        return `${c.id} provides '${name}' but no buildpack at or after it requires it`;
      }
    }
    for (const r of c.section.requires) {
      if (!trial.slice(0, i + 1).some((earlier) => earlier.section.provides.includes(r.name))) {
        return `${c.id} requires '${r.name}' but no buildpack at or before it provides it`;
      }
    }
  }
  return undefined;
}

function entriesOf(trial: Choice[]): PlanEntry[] {
  const entries = new Map<string, PlanEntry>();
  for (const c of trial) {
    for (const r of c.section.requires) {
      const entry = entries.get(r.name) ?? { name: r.name, providers: [], requires: [] };
      entry.requires.push({ ...r, requirer: c.id });
      entries.set(r.name, entry);
    }
  }
  for (const entry of entries.values()) {
    entry.providers = trial.filter((c) => c.section.provides.includes(entry.name)).map((c) => c.id);
  }
  return [...entries.values()];
}

/**
 * Pick a working trial for one group: a required buildpack that failed fails the group; an
 * optional one that failed is left out; among the passing ones, alternatives are tried in order
 * (the first buildpack's first alternative with every choice of the rest, and so on), and an
 * optional buildpack may also be dropped from a trial when it is the one breaking the rules.
 */
export function resolveGroup(outcomes: DetectOutcome[]): GroupResolution {
  for (const o of outcomes) {
    if (o.status !== 'pass' && !o.optional) {
      return { ok: false, reason: `${o.id} ${o.status === 'fail' ? 'did not detect' : 'failed'}${o.detail ? ` (${o.detail})` : ''}` };
    }
  }
  const passing = outcomes.filter((o) => o.status === 'pass');
  const options = passing.map((o) => {
    const sections: Array<PlanSection | undefined> = o.alternatives.length ? [...o.alternatives] : [{ provides: [], requires: [] }];
    if (o.optional) sections.push(undefined);
    return sections;
  });
  let tried = 0;
  let firstProblem: string | undefined;
  const pick: Array<PlanSection | undefined> = [];
  const search = (i: number): Choice[] | undefined => {
    if (i === passing.length) {
      tried += 1;
      const trial = passing.flatMap((o, k) => (pick[k] ? [{ id: o.id, version: o.version, section: pick[k]! }] : []));
      const problem = trialProblem(trial);
      if (problem === undefined) return trial;
      firstProblem ??= problem;
      return undefined;
    }
    for (const option of options[i]!) {
      if (tried >= MAX_TRIALS) return undefined;
      pick[i] = option;
      const found = search(i + 1);
      if (found) return found;
    }
    return undefined;
  };
  const trial = search(0);
  if (!trial) {
    const why = tried >= MAX_TRIALS ? `no working build plan in the first ${MAX_TRIALS} trials` : firstProblem ?? 'no buildpack passed';
    return { ok: false, reason: why };
  }
  const kept = new Set(trial.map((c) => c.id));
  return {
    ok: true,
    group: trial.map((c) => ({ id: c.id, version: c.version })),
    entries: entriesOf(trial),
    skippedOptional: outcomes.filter((o) => o.optional && !kept.has(o.id)).map((o) => o.id),
  };
}

/** The entries a buildpack is a provider of and that no earlier buildpack met: its CNB_BP_PLAN_PATH. */
export function entriesFor(id: string, entries: PlanEntry[], met: Set<string>): Array<{ name: string; metadata: Record<string, unknown> }> {
  return entries
    .filter((e) => e.providers.includes(id) && !met.has(e.name))
    .map((e) => ({ name: e.name, metadata: Object.assign({}, ...e.requires.map((r) => r.metadata)) as Record<string, unknown> }));
}
