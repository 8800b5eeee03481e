import type { LaunchProcess } from './release.js';

export interface ProcessSources {
  /** `default_process_types` of the final buildpack's `bin/release`. */
  release: Record<string, string>;
  /** `deps/<idx>/launch.yml` of each buildpack, in buildpack order. */
  launch: LaunchProcess[][];
  procfile?: Record<string, string>;
  /** `--command`: the web start command, above everything else. */
  command?: string;
}

export interface ProcessTable {
  processTypes: Record<string, string>;
  /** Where each type's command came from, for messages. */
  origins: Record<string, 'release' | 'launch.yml' | 'Procfile' | '--command'>;
}

/**
 * Process types, lowest precedence first: release, then launch.yml adds types the release lacks,
 * then the Procfile overrides per type, then --command overrides web.
 */
export function mergeProcesses(sources: ProcessSources): ProcessTable {
  const processTypes: Record<string, string> = {};
  const origins: ProcessTable['origins'] = {};
  for (const [type, command] of Object.entries(sources.release)) {
    processTypes[type] = command;
    origins[type] = 'release';
  }
  for (const list of sources.launch) {
    for (const p of list) {
      if (processTypes[p.type] === undefined) {
        processTypes[p.type] = p.command;
        origins[p.type] = 'launch.yml';
      }
    }
  }
  for (const [type, command] of Object.entries(sources.procfile ?? {})) {
    processTypes[type] = command;
    origins[type] = 'Procfile';
  }
  if (sources.command !== undefined) {
    processTypes.web = sources.command;
    origins.web = '--command';
  }
  const sorted: Record<string, string> = {};
  for (const type of Object.keys(processTypes).sort()) sorted[type] = processTypes[type]!;
  return { processTypes: sorted, origins };
}

/** The start command of the droplet: web's, else the only process's. */
export function startCommand(processTypes: Record<string, string>): string | undefined {
  if (processTypes.web !== undefined) return processTypes.web;
  const types = Object.keys(processTypes);
  return types.length === 1 ? processTypes[types[0]!] : undefined;
}
