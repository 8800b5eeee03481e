import { spawn } from 'node:child_process';
import { DropshipError } from '../errors.js';

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * Run a host tool (ip, iptables-restore, nsenter). Plain spawn: network setup runs a handful of
 * these per container and each millisecond counts.
 */
export function run(command: string, args: string[], options: { input?: string; step?: string; allowFail?: boolean } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) =>
      reject(
        new DropshipError('NETWORK_TOOL_MISSING', `${options.step ?? 'network setup'}: cannot run ${command}: ${error.message}`, {
          hint: 'install iproute2, iptables and util-linux (nsenter)',
          cause: error,
        }),
      ),
    );
    child.on('close', (code, signal) => {
      const result = { stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode: code ?? 128 };
      if (result.exitCode === 0 || options.allowFail) return resolve(result);
      const tail = result.stderr.trim().split('\n').slice(-5).join('\n');
      reject(
        new DropshipError(
          'NETWORK_COMMAND_FAILED',
          `${options.step ?? 'network setup'}: ${command} ${args.join(' ')} failed with ${signal ? `signal ${signal}` : `exit code ${code}`}: ${tail}`,
          { details: { command, args, stderr: result.stderr, input: options.input } },
        ),
      );
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}
