import { stackLowerDirs } from '../../../src/sandbox/task.js';
import { defaultIdMap } from '../../../src/security/idmap.js';

let cached: Promise<string[]> | undefined;

/** The tiny stack's layer, unpacked for the default id map (built once per test store). */
export function tinyLowerDirs(): Promise<string[]> {
  cached ??= stackLowerDirs('tiny', defaultIdMap());
  return cached;
}
