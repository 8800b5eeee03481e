import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isGitBuildpackUrl, parseGitBuildpackUrl } from '../../../src/buildpack/git.js';

test('a git buildpack URL ends in .git, with an optional #ref', () => {
  assert.ok(isGitBuildpackUrl('https://github.example/heroku/heroku-buildpack-apt.git'));
  assert.ok(isGitBuildpackUrl('https://host/org/repo.git#v1.2.3'));
  assert.not.ok(isGitBuildpackUrl('https://host/org/buildpack.tgz'));
  assert.not.ok(isGitBuildpackUrl('https://host/org/repo.git.tgz'));
  assert.not.ok(isGitBuildpackUrl('git@host:org/repo.git'));
});

test('#ref: a branch, tag or commit; nothing that git could read as an option or a range', () => {
  assert.equal(parseGitBuildpackUrl('https://h/r.git#release/1.x'), { url: 'https://h/r.git', ref: 'release/1.x' });
  assert.equal(parseGitBuildpackUrl('https://h/r.git'), { url: 'https://h/r.git' });
  for (const ref of ['--upload-pack=touch /tmp/x', 'a..b', 'a b', '-x']) {
    assert.throws(() => parseGitBuildpackUrl(`https://h/r.git#${ref}`), /is not a branch, tag or commit/);
  }
});

test.run();
