import { chmod, rm } from 'node:fs/promises';
import { createServer, connect, type Server } from 'node:net';
import { DropshipError, isDropshipError } from '../errors.js';
/**
 * What the app API asks of an app's supervisor. Desired state is never sent: it is on disk (the
 * current release), and `reload` and `restart` tell the supervisor to read it.
 */
export type ControlRequest =
  | { op: 'status' }
  | { op: 'stop' }
  /** Converge onto the current release: scale, and replace one by one the instances it changes. */
  | { op: 'reload' }
  /** Replace every instance by one of the current release (rolling: one at a time). */
  | { op: 'restart'; rolling: boolean }
  | { op: 'wait-running' }
  /**
   * Stop converging at once (a roll waiting for a new instance to become healthy) and converge
   * onto the current release on disk: a Ctrl-C during a start put the previous one back there.
   */
  | { op: 'cancel' };

type Reply = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string; hint?: string; exitCode?: number } };

/** What the server knows of the connection a request came on. */
export interface RequestContext {
  /** Aborts once the asker hung up (a Ctrl-C): whatever it waits for, nobody will hear. */
  readonly hungUp: AbortSignal;
}

/**
 * The daemon's control socket: one JSON request per connection, one JSON reply. The socket
 * is 0600 (made under umask 0177, so never wider even for a moment): only root can steer apps.
 */
export async function serveControl<R extends { op: string } = ControlRequest>(path: string, handle: (request: R, context: RequestContext) => Promise<unknown>): Promise<Server> {
  await rm(path, { force: true });
  const server = createServer((socket) => {
    let text = '';
    const hungUp = new AbortController();
    socket.once('close', () => hungUp.abort());
    socket.setEncoding('utf8');
    socket.on('data', async (chunk) => {
      text += chunk;
      const nl = text.indexOf('\n');
      if (nl === -1) return;
      let reply: Reply;
      try {
        reply = { ok: true, result: await handle(JSON.parse(text.slice(0, nl)) as R, { hungUp: hungUp.signal }) };
      } catch (error) {
        reply = isDropshipError(error)
          ? { ok: false, error: { code: error.code, message: error.message, hint: error.hint, ...(error.exitCode === 1 ? {} : { exitCode: error.exitCode }) } }
          : { ok: false, error: { code: 'SUPERVISOR_ERROR', message: (error as Error).message } };
      }
      socket.end(JSON.stringify(reply) + '\n');
    });
    socket.on('error', () => undefined);
  });
  const umask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
  } finally {
    process.umask(umask);
  }
  await chmod(path, 0o600);
  return server;
}

/** The error of a wait the user ended: the shell's 128 + the signal (SIGTERM 143, else SIGINT 130; see cli/cancel.ts). */
export function cancelledError(message: string, hint?: string, signal?: AbortSignal): DropshipError {
  return new DropshipError('CANCELLED', message, { hint, exitCode: signal?.reason === 'SIGTERM' ? 143 : 130 });
}

/** The wait was ended by `signal` (and not, say, by a daemon that went away). */
export function isCancelled(error: unknown, signal: AbortSignal | undefined): boolean {
  return Boolean(signal?.aborted) && isDropshipError(error) && error.code === 'CANCELLED';
}

/**
 * Send one request to the daemon behind `path`; throws SUPERVISOR_UNREACHABLE when nobody
 * answers. `signal` ends the wait for the answer at once (the daemon carries on with the request).
 */
export function callControl<T>(path: string, request: { op: string }, timeoutMs = 30_000, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError(`stopped waiting for '${request.op}'`, undefined, signal));
    const socket = connect(path);
    let text = '';
    const onAbort = () => {
      clearTimeout(timer);
      socket.destroy();
      reject(cancelledError(`stopped waiting for '${request.op}'`, undefined, signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    socket.on('close', () => signal?.removeEventListener('abort', onAbort));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new DropshipError('SUPERVISOR_TIMEOUT', `the dropship daemon did not answer '${request.op}' within ${timeoutMs / 1000}s`, {
        hint: 'it may be busy stopping instances; try again, or see daemon.log in the store',
      }));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('data', (chunk) => (text += chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new DropshipError('SUPERVISOR_UNREACHABLE', `no dropship daemon answers on ${path} (${error.code ?? error.message})`, {
        hint: '`dropship daemon start` starts it (any app command does too); see daemon.log in the store',
        cause: error,
      }));
    });
    socket.on('end', () => {
      clearTimeout(timer);
      let reply: Reply;
      try {
        reply = JSON.parse(text) as Reply;
      } catch (error) {
        reject(new DropshipError('SUPERVISOR_UNREACHABLE', `the dropship daemon on ${path} closed the connection without an answer`, {
          hint: 'it may have died while answering; the next command starts a new one, which adopts the running instances',
          cause: error,
        }));
        return;
      }
      if (reply.ok) resolve(reply.result as T);
      else reject(new DropshipError(reply.error.code, reply.error.message, { hint: reply.error.hint, exitCode: reply.error.exitCode }));
    });
  });
}
