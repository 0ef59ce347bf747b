/**
 * Typed errors: every failure Foresight raises on purpose has a stable `code` that callers and
 * tests branch on, and keeps the error that caused it.
 */
export class ForesightError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ForesightError';
    this.code = code;
  }
}

/** The message of any thrown value, for logs and dead-letter reasons. */
export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
