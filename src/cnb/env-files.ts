/**
 * The env directories of a layer (buildpacks/spec buildpack.md, "Environment Variable
 * Modification Rules"): a file's name is the variable, its suffix the operation, its bytes the
 * value, taken literally: nothing is ever passed through a shell. Pure: callers read the files.
 */

export type EnvOperation = 'override' | 'default' | 'append' | 'prepend';

export interface EnvFile {
  /** File name, e.g. `PATH.append`. */
  file: string;
  content: string;
}

export interface EnvChange {
  name: string;
  op: EnvOperation;
  value: string;
  /** From `<NAME>.delim`; none means the values are joined as they are. */
  delim?: string;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SUFFIXES: Record<string, EnvOperation | 'delim'> = { override: 'override', default: 'default', append: 'append', prepend: 'prepend', delim: 'delim' };

/**
 * The changes one env directory asks for, in file-name order. A file named like no variable
 * (`a-b`, `x.unknown`) is reported, not applied: a typo must not become a silent no-op.
 */
export function envChanges(files: EnvFile[]): { changes: EnvChange[]; ignored: string[] } {
  const delims = new Map<string, string>();
  const ignored: string[] = [];
  const parsed: Array<{ name: string; op: EnvOperation; value: string }> = [];
  for (const { file, content } of [...files].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))) {
    const dot = file.indexOf('.');
    const name = dot < 0 ? file : file.slice(0, dot);
    const suffix = dot < 0 ? 'override' : SUFFIXES[file.slice(dot + 1)];
    if (!NAME.test(name) || suffix === undefined) {
      ignored.push(file);
      continue;
    }
    if (suffix === 'delim') delims.set(name, content);
    else parsed.push({ name, op: suffix, value: content });
  }
  return {
    changes: parsed.map((c) => (delims.has(c.name) ? { ...c, delim: delims.get(c.name) } : c)),
    ignored,
  };
}

/** Apply changes in order to a copy of `env`. */
export function applyEnvChanges(env: Record<string, string>, changes: EnvChange[]): Record<string, string> {
  const out = { ...env };
  for (const c of changes) {
    const current = out[c.name];
    switch (c.op) {
      case 'override':
        out[c.name] = c.value;
        break;
      case 'default':
        if (current === undefined) out[c.name] = c.value;
        break;
      case 'append':
        out[c.name] = current === undefined || current === '' ? c.value : current + (c.delim ?? '') + c.value;
        break;
      case 'prepend':
        out[c.name] = current === undefined || current === '' ? c.value : c.value + (c.delim ?? '') + current;
        break;
    }
  }
  return out;
}

/** A layer's bin/ and lib/ as changes: on PATH, and on LD_LIBRARY_PATH (LIBRARY_PATH too while building). */
export function layerPathChanges(layer: string, has: { bin: boolean; lib: boolean }, phase: 'build' | 'launch'): EnvChange[] {
  const changes: EnvChange[] = [];
  if (has.bin) changes.push({ name: 'PATH', op: 'prepend', value: `${layer}/bin`, delim: ':' });
  if (has.lib) {
    changes.push({ name: 'LD_LIBRARY_PATH', op: 'prepend', value: `${layer}/lib`, delim: ':' });
    if (phase === 'build') changes.push({ name: 'LIBRARY_PATH', op: 'prepend', value: `${layer}/lib`, delim: ':' });
  }
  return changes;
}
