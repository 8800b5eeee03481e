/**
 * The files staging hands on: result.json (to whoever asked for the staging) and
 * staging_info.yml (inside the droplet, for the launcher). Cloud Foundry's schemas.
 */

export interface BuildpackRecord {
  key: string;
  name: string;
  version: string;
  /** dropship's addition for a git buildpack: the commit it was staged with. */
  commit?: string;
}

export interface StagingFailureRecord {
  code: string;
  message: string;
  exit_code: number;
  buildpack?: string;
  step?: string;
}

export interface ResultJson {
  lifecycle_metadata: {
    buildpack_key: string;
    detected_buildpack: string;
    buildpacks: BuildpackRecord[];
  };
  process_types: Record<string, string>;
  processes: Array<{ type: string; command: string }>;
  execution_metadata: string;
  lifecycle_type: 'buildpack';
  /** dropship's addition: present only when staging failed. */
  error?: StagingFailureRecord;
}

export function resultJson(input: {
  buildpacks: BuildpackRecord[];
  detected?: string;
  processTypes: Record<string, string>;
  error?: StagingFailureRecord;
}): ResultJson {
  const final = input.buildpacks[input.buildpacks.length - 1];
  const result: ResultJson = {
    lifecycle_metadata: {
      buildpack_key: final?.key ?? '',
      detected_buildpack: input.detected ?? '',
      buildpacks: input.buildpacks,
    },
    process_types: input.processTypes,
    processes: Object.entries(input.processTypes).map(([type, command]) => ({ type, command })),
    execution_metadata: '',
    lifecycle_type: 'buildpack',
  };
  if (input.error) result.error = input.error;
  return result;
}

/** `staging_info.yml`: JSON despite its name, as Cloud Foundry writes it. */
export function stagingInfo(detected: string, startCommand: string): string {
  return JSON.stringify({ detected_buildpack: detected, start_command: startCommand }) + '\n';
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `config_vars` from bin/release as a profile.d script: defaults only, so a variable the user
 * sets at run time wins, as on Heroku.
 */
export function configVarsScript(configVars: Record<string, string>): string | undefined {
  const names = Object.keys(configVars).sort();
  if (names.length === 0) return undefined;
  const lines = names.map((name) => `[ -n "\${${name}+set}" ] || export ${name}=${shellQuote(configVars[name]!)}`);
  return `# config_vars of the final buildpack's bin/release (run-time env wins)\n${lines.join('\n')}\n`;
}
