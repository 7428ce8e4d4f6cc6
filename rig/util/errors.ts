// Two kinds of failure reach the top: a UserError (already explained; printed without a stack,
// exits with its code) and anything else (a bug: printed with its stack). Expected outcomes of a
// benchmark (does not fit, mismatch, timeout) are values in the result, not exceptions.
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** One problem in a file a user wrote: `boards/f746.json: memory.flash.sizeBytes: expected …, found …`. */
export interface Issue {
  path: string;
  message: string;
}

export class ValidationError extends UserError {
  readonly file: string;
  readonly issues: readonly Issue[];
  constructor(file: string, issues: readonly Issue[]) {
    const lines = issues.map((i) => `${file}: ${i.path === '' ? '(top level)' : i.path}: ${i.message}`);
    super(lines.join('\n'), { exitCode: 2 });
    this.name = 'ValidationError';
    this.file = file;
    this.issues = issues;
  }
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
