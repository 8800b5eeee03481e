import { spawn } from 'node:child_process';

/** Run a command to completion for a timing: no output captured but stderr, which names a failure. */
export function exec(file: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')}: exit ${code}: ${stderr.trim()}`))));
  });
}
