import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { entriesFor, parseDetectPlan, resolveGroup, type DetectOutcome, type PlanSection } from '../../../src/cnb/plan.js';

const P = (provides: string[], requires: Array<string | [string, Record<string, unknown>]> = []): PlanSection => ({
  provides,
  requires: requires.map((r) => (typeof r === 'string' ? { name: r, metadata: {} } : { name: r[0], metadata: r[1] })),
});
const bp = (id: string, alternatives: PlanSection[], extra: Partial<DetectOutcome> = {}): DetectOutcome => ({ id, version: '1', optional: false, status: 'pass', alternatives, ...extra });

test('buildpack.md "Build Plan": provides, requires with metadata and [[or]] parse', () => {
  const plan = parseDetectPlan(`[[provides]]
name = "node"
[[requires]]
name = "node"
[requires.metadata]
version = "20"
[[or]]
[[or.provides]]
name = "yarn"
`, 'plan.toml');
  assert.equal(plan, [P(['node'], [['node', { version: '20' }]]), P(['yarn'])]);
  assert.equal(parseDetectPlan('', 'plan.toml'), [P([])]);
});

test('a malformed plan names the file and field', () => {
  assert.throws(() => parseDetectPlan('[[requires]]\nversion = "1"\n', '/tmp/plan.toml'), /\/tmp\/plan\.toml: requires\[0\] name: is missing/);
  assert.throws(() => parseDetectPlan('provides = "x"\n', 'p'), /p: provides: must be \[\[provides\]\] tables/);
});

test('trial rule: a provide no buildpack at or after requires fails the trial', () => {
  const r = resolveGroup([bp('a', [P(['node'])]), bp('b', [P([])])]);
  assert.equal(r, { ok: false, reason: "a provides 'node' but no buildpack at or after it requires it" });
});

test('trial rule: a require no buildpack at or before provides fails the trial', () => {
  const r = resolveGroup([bp('a', [P([], ['node'])]), bp('b', [P(['node'])])]);
  assert.equal(r, { ok: false, reason: "a requires 'node' but no buildpack at or before it provides it" });
});

test('provides and requires met by the same buildpack, metadata merged for the provider', () => {
  const r = resolveGroup([bp('a', [P(['node'], [['node', { version: '18', x: 1 }]])]), bp('b', [P([], [['node', { version: '20' }]])])]);
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.group.map((g) => g.id), ['a', 'b']);
  assert.equal(entriesFor('a', r.entries, new Set()), [{ name: 'node', metadata: { version: '20', x: 1 } }]);
  assert.equal(entriesFor('b', r.entries, new Set()), []);
  assert.equal(entriesFor('a', r.entries, new Set(['node'])), []);
});

test('[[or]]: the first alternative that makes the trial work is chosen, in order', () => {
  const r = resolveGroup([bp('a', [P(['node']), P(['yarn'])]), bp('b', [P([], ['yarn'])])]);
  assert.ok(r.ok && r.entries.length === 1 && r.entries[0]!.name === 'yarn' && r.entries[0]!.providers[0] === 'a');
});

test('optional buildpacks: one that failed detect is left out; one breaking a trial is dropped', () => {
  const failed = resolveGroup([bp('a', [P([])]), bp('opt', [], { optional: true, status: 'fail' })]);
  assert.ok(failed.ok && failed.group.length === 1 && failed.skippedOptional[0] === 'opt');
  const breaking = resolveGroup([bp('opt', [P(['ruby'])], { optional: true }), bp('b', [P([])])]);
  assert.ok(breaking.ok);
  if (breaking.ok) assert.equal([breaking.group.map((g) => g.id), breaking.skippedOptional], [['b'], ['opt']]);
});

test('a required buildpack that fails or errors fails the group, saying which', () => {
  assert.equal(resolveGroup([bp('a', [], { status: 'fail' })]), { ok: false, reason: 'a did not detect' });
  assert.equal(resolveGroup([bp('a', [], { status: 'error', detail: 'exit 3' })]), { ok: false, reason: 'a failed (exit 3)' });
  assert.equal(resolveGroup([bp('o', [], { optional: true, status: 'fail' })]), { ok: false, reason: 'no buildpack is left once the optional ones are dropped' });
});

test('a pathological group gives up after a bounded number of trials', () => {
  const many = Array.from({ length: 14 }, (_, i) => bp(`b${i}`, [P(['x']), P(['y'])], { optional: true }));
  const r = resolveGroup([...many, bp('last', [P([], ['never'])])]);
  assert.equal(r, { ok: false, reason: 'no working build plan in the first 4096 trials' });
});

test.run();
