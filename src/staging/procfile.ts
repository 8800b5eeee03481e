import { DropshipError } from '../errors.js';

/**
 * A Procfile, read line by line like Heroku does (`type: command`): the command is kept exactly
 * as written, quotes and all, because the launcher hands it to a shell. Parsing it as YAML (as
 * Cloud Foundry does) strips or breaks quoting, e.g. `web: ./run "a: b"`. It is read at release
 * time, so its errors exit 224.
 */
export function parseProcfile(text: string, file = 'Procfile'): Record<string, string> {
  const processes: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (/^\s*(#|$)/.test(line)) return;
    const match = /^\s*([A-Za-z0-9_-]+)\s*:\s?(.*)$/.exec(line);
    if (!match) {
      throw new DropshipError('PROCFILE_INVALID', `${file} line ${i + 1}: '${line}' is not 'type: command'`, {
        hint: 'write one process per line, e.g. web: ./bin/server --port $PORT',
        exitCode: 224,
      });
    }
    const command = match[2]!.trim();
    if (!command) {
      throw new DropshipError('PROCFILE_INVALID', `${file} line ${i + 1}: process type '${match[1]}' has no command`, {
        hint: `write the command after the colon, e.g. ${match[1]}: ./bin/start`,
        exitCode: 224,
      });
    }
    processes[match[1]!] = command;
  });
  return processes;
}
