/**
 * The one error type of dropship. `code` is stable for machines (`--json`, tests),
 * `message` names what failed (file, field, step), `hint` tells the user the fix.
 */
export class DropshipError extends Error {
  readonly code: string;
  readonly hint?: string;
  /** Process exit code the CLI uses for this error (staging uses 222–225 like Cloud Foundry). */
  readonly exitCode: number;
  readonly details?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { hint?: string; cause?: unknown; exitCode?: number; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DropshipError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
    this.details = options.details;
  }
}

export function isDropshipError(error: unknown): error is DropshipError {
  return error instanceof DropshipError;
}
