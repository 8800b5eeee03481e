import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { outdatedCounts, planRepave, type AppOnStack } from '../../../src/repave/plan.js';
import type { StackInfo } from '../../../src/stack/index.js';

const d = (c: string) => `sha256:${c.repeat(64)}` as const;
const build = (c: string) => ({ diffId: d(c), digest: d(c), size: 1, mediaType: 'x', builtAt: '2026-01-01T00:00:00Z', recipeDigest: d('0') });
const tiny: StackInfo = { name: 'tiny', ...build('c'), history: [build('b'), build('a')] };
const bookworm: StackInfo = { name: 'bookworm', ...build('e'), history: [] };
const app = (name: string, stack?: string, c?: string): AppOnStack => ({ app: name, release: 3, image: `${name}:v1`, imageDigest: d('9'), stack, stackDiffId: c ? d(c) : undefined });

test('apps on an older build are to do, with how far behind; current ones are up to date; unknowns are skipped with a reason', () => {
  const plan = planRepave([app('web', 'tiny', 'b'), app('api', 'tiny', 'c'), app('old', 'tiny', '7'), app('bare'), app('other', 'nosuch', '1'), app('wk', 'bookworm', 'a')], [tiny, bookworm]);
  assert.equal(plan.todo.map((i) => [i.app, i.behind, i.target]), [['old', -1, d('c')], ['web', 1, d('c')], ['wk', -1, d('e')]]);
  assert.equal(plan.upToDate.map((a) => a.app), ['api']);
  assert.equal(plan.skipped.map((a) => [a.app, a.reason]), [['bare', 'its image is not in the store, or has no io.dropship.stack label'], ['other', 'stack nosuch is not built here']]);
  assert.equal([...outdatedCounts(plan)], [['tiny', 2], ['bookworm', 1]]);
});

test('--stack keeps to that stack', () => {
  const plan = planRepave([app('web', 'tiny', 'a'), app('wk', 'bookworm', 'a')], [tiny, bookworm], 'bookworm');
  assert.equal(plan.todo.map((i) => i.app), ['wk']);
});

test.run();
