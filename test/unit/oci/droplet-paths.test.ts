import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DropshipError } from '../../../src/errors.js';
import { DropletPaths } from '../../../src/oci/droplet-paths.js';

function refuses(fn: () => void, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, DropshipError);
    assert.match((error as Error).message, pattern);
    return;
  }
  assert.unreachable('should refuse');
}

test('later entries win: a directory replacing a symlink can hold entries again', () => {
  const paths = new DropletPaths();
  paths.add('app/l', 'symlink', 'app/l');
  refuses(() => paths.add('app/l/x', 'file', 'app/l/x'), /its parent app\/l is a symlink/);
  paths.add('app/l', 'directory', 'app/l/');
  paths.add('app/l/x', 'file', 'app/l/x');
  paths.checkLinkTarget('app/l/x', 'app/h');
});

test('a file replacing a directory drops what was below it', () => {
  const paths = new DropletPaths();
  paths.add('app/d/deep/f', 'file', 'app/d/deep/f');
  paths.add('app/d', 'file', 'app/d');
  refuses(() => paths.checkLinkTarget('app/d/deep/f', 'app/h'), /its parent app\/d is a file/);
  refuses(() => paths.add('app/d/deep/g', 'file', 'app/d/deep/g'), /its parent app\/d is a file in the droplet/);
  // A sibling that only shares the prefix is kept.
  paths.add('app/dd', 'file', 'app/dd');
  paths.add('app/d', 'directory', 'app/d/');
  paths.checkLinkTarget('app/dd', 'app/h');
});

test('hard link targets must be files already in the droplet', () => {
  const paths = new DropletPaths();
  paths.add('app', 'directory', 'app/');
  refuses(() => paths.checkLinkTarget('app', 'h'), /is a directory/);
  refuses(() => paths.checkLinkTarget('app/none', 'h'), /not in the droplet before it/);
});

test.run();
