import { parse } from 'yaml';
import { DropshipError } from '../errors.js';
import { isEnvName } from './env.js';

export interface ReleaseInfo {
  defaultProcessTypes: Record<string, string>;
  configVars: Record<string, string>;
}


function stringMap(value: unknown, field: string, where: string, exitCode: number): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new DropshipError('BUILDPACK_RELEASE_INVALID', `${where}: '${field}' must be a map, got ${Array.isArray(value) ? 'a list' : typeof value}`, {
      hint: `write ${field} as 'name: value' pairs`,
      exitCode,
    });
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === null || typeof item === 'object') {
      throw new DropshipError('BUILDPACK_RELEASE_INVALID', `${where}: ${field}.${key} must be a string`, { hint: 'quote the value', exitCode });
    }
    out[key] = String(item);
  }
  return out;
}

/** Both files are written by buildpacks: invalid YAML is a release failure (224) naming the file. */
function parseBuildpackYaml(text: string, where: string, code: string, hint: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    throw new DropshipError(code, `${where} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, { hint, exitCode: 224, cause: error });
  }
}

const RELEASE_HINT = 'bin/release must print YAML such as: default_process_types: {web: ./start}';
const LAUNCH_HINT = 'launch.yml must look like: processes: [{type: web, command: ./start}]';

/** The YAML printed by `bin/release`: `default_process_types` and `config_vars`. */
export function parseReleaseYaml(text: string, where = 'bin/release output'): ReleaseInfo {
  const doc = parseBuildpackYaml(text, where, 'BUILDPACK_RELEASE_INVALID', RELEASE_HINT);
  if (doc === null || doc === undefined) return { defaultProcessTypes: {}, configVars: {} };
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new DropshipError('BUILDPACK_RELEASE_INVALID', `${where} must be a YAML map, got ${Array.isArray(doc) ? 'a list' : typeof doc}`, {
      hint: RELEASE_HINT,
      exitCode: 224,
    });
  }
  const record = doc as Record<string, unknown>;
  const configVars = stringMap(record.config_vars, 'config_vars', where, 224);
  for (const name of Object.keys(configVars)) {
    if (!isEnvName(name)) {
      throw new DropshipError('BUILDPACK_RELEASE_INVALID', `${where}: config_vars name '${name}' is not a valid environment variable name`, {
        hint: 'use letters, digits and underscores, not starting with a digit',
        exitCode: 224,
      });
    }
  }
  return { defaultProcessTypes: stringMap(record.default_process_types, 'default_process_types', where, 224), configVars };
}

export interface LaunchProcess {
  type: string;
  command: string;
}

/** `deps/<idx>/launch.yml`: `processes: [{type, command}]`, written by supply buildpacks. */
export function parseLaunchYaml(text: string, where: string): LaunchProcess[] {
  const doc = parseBuildpackYaml(text, where, 'LAUNCH_YML_INVALID', LAUNCH_HINT);
  const processes = (doc as { processes?: unknown } | null)?.processes;
  if (processes === undefined || processes === null) return [];
  if (!Array.isArray(processes)) {
    throw new DropshipError('LAUNCH_YML_INVALID', `${where}: 'processes' must be a list`, {
      hint: LAUNCH_HINT,
      exitCode: 224,
    });
  }
  return processes.map((p: { type?: unknown; command?: unknown }, i) => {
    if (typeof p?.type !== 'string' || typeof p?.command !== 'string') {
      throw new DropshipError('LAUNCH_YML_INVALID', `${where}: processes[${i}] needs a string 'type' and 'command'`, {
        hint: LAUNCH_HINT,
        exitCode: 224,
      });
    }
    return { type: p.type, command: p.command };
  });
}
