import { stringify } from 'yaml';
import type { KubeObject } from './types.js';

/** Multi-document YAML, one object per document, in the order given (Secret and policy before workloads). */
export function toYaml(objects: KubeObject[], header?: string): string {
  const comment = header ? header.split('\n').map((line) => `# ${line}`.trimEnd()).join('\n') + '\n' : '';
  // lineWidth 0: JSON env values (VCAP_APPLICATION) stay on one line; no aliases: plain YAML for every reader.
  return comment + objects.map((object) => stringify(object, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}
