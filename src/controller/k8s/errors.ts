/**
 * Errors from the Kubernetes API, classified by what the caller should do: not found, already
 * exists, conflict (re-read and retry), invalid (the server's message names the field), gone
 * (relist), forbidden, and unavailable (transient: retry with backoff).
 */
import { ForesightError } from '../../errors.js';

export type KubeErrorCode =
  | 'k8s-not-found'
  | 'k8s-already-exists'
  | 'k8s-conflict'
  | 'k8s-invalid'
  | 'k8s-gone'
  | 'k8s-forbidden'
  | 'k8s-unauthorized'
  | 'k8s-unavailable'
  | 'k8s-bad-request'
  | 'k8s-error';

export class KubeError extends ForesightError {
  declare readonly code: KubeErrorCode;

  constructor(
    code: KubeErrorCode,
    message: string,
    /** HTTP status, 0 when the server was not reached. */
    readonly status: number,
    /** The Status `reason` (NotFound, AlreadyExists, Conflict, Invalid …) when the server sent one. */
    readonly reason?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'KubeError';
  }
}

interface StatusBody {
  kind?: string;
  message?: string;
  reason?: string;
  code?: number;
}

export function kubeErrorFromResponse(method: string, path: string, status: number, body: string): KubeError {
  let parsed: StatusBody = {};
  try {
    parsed = JSON.parse(body) as StatusBody;
  } catch {
    // Not a Status object (a proxy's HTML page, an empty 503): keep the raw text.
  }
  const message = `${method} ${path}: ${status} ${parsed.message ?? body.slice(0, 300)}`;
  const reason = parsed.reason;
  let code: KubeErrorCode;
  if (status === 404) code = 'k8s-not-found';
  else if (status === 409) code = reason === 'AlreadyExists' ? 'k8s-already-exists' : 'k8s-conflict';
  else if (status === 422) code = 'k8s-invalid';
  else if (status === 410) code = 'k8s-gone';
  else if (status === 403) code = 'k8s-forbidden';
  else if (status === 401) code = 'k8s-unauthorized';
  else if (status === 400) code = 'k8s-bad-request';
  else if (status === 429 || status >= 500) code = 'k8s-unavailable';
  else code = 'k8s-error';
  return new KubeError(code, message, status, reason);
}

export function isKubeError(err: unknown, ...codes: KubeErrorCode[]): err is KubeError {
  return err instanceof KubeError && (codes.length === 0 || codes.includes(err.code));
}

export const isNotFound = (err: unknown): boolean => isKubeError(err, 'k8s-not-found');
export const isConflict = (err: unknown): boolean => isKubeError(err, 'k8s-conflict');
export const isAlreadyExists = (err: unknown): boolean => isKubeError(err, 'k8s-already-exists');
