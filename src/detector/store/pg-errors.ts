/**
 * Turns a database failure into one readable sentence and a yes/no on whether waiting can fix
 * it. Operators see these sentences in place of stack traces while the database is unreachable,
 * so each names the server (host:port, never the URL) and the reason in the server's words.
 */
import { ForesightError, errorMessage } from '../../errors.js';
import { scrub, urlUser } from './redact.js';

/** Socket-level failures: the server is down, unreachable or restarting. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
]);

/** node-postgres reports these as plain Errors without a code. */
const DRIVER_CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection timeout',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
];

export interface DescribedError {
  /** Stable identity of the failure, to log each distinct one once. */
  key: string;
  text: string;
  /** True when retrying later can succeed without anyone changing anything but the server. */
  transient: boolean;
}

function codeOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** AggregateError (happy-eyeballs connect to several addresses) hides the socket code inside. */
function networkCode(err: unknown): string | undefined {
  const code = codeOf(err);
  if (code && NETWORK_CODES.has(code)) return code;
  if (err instanceof AggregateError) {
    for (const inner of err.errors) {
      const innerCode = networkCode(inner);
      if (innerCode) return innerCode;
    }
  }
  return undefined;
}

/**
 * Whether a failed statement may succeed if simply run again: lost or refused connections,
 * server shutdown/startup, too many connections, serialization failures and deadlocks.
 * Constraint, syntax and data errors are not: retrying them would loop forever.
 */
export function isTransientDbError(err: unknown): boolean {
  // Our own wrappers (a failed migration, partition) are as transient as what caused them.
  if (err instanceof ForesightError && err.cause !== undefined) return isTransientDbError(err.cause);
  if (networkCode(err)) return true;
  const code = codeOf(err);
  if (code) {
    if (code.startsWith('08')) return true; // connection exception
    if (code.startsWith('53')) return true; // insufficient resources (too many connections, disk full)
    if (code === '57P01' || code === '57P02' || code === '57P03') return true; // shutdown, crash, starting
    if (code === '40001' || code === '40P01') return true; // serialization failure, deadlock
    if (code.startsWith('28')) return true; // credentials can be fixed by rotating a Secret
  }
  const message = errorMessage(err);
  return DRIVER_CONNECTION_MESSAGES.some((m) => message.includes(m));
}

/** One line about `err`, for the server at `target` reached through `url` (secret scrubbed). */
export function describeDbError(err: unknown, target: string, url: string): DescribedError {
  const message = scrub(errorMessage(err), url);
  const net = networkCode(err);
  if (net) {
    return { key: `net:${net}`, text: `cannot reach PostgreSQL at ${target} (${net})`, transient: true };
  }
  const code = codeOf(err);
  if (code === '28P01') {
    const user = urlUser(url) ?? 'the configured user';
    return {
      key: code,
      text: `PostgreSQL at ${target} rejected the password of user "${user}" (28P01)`,
      transient: true,
    };
  }
  if (code?.startsWith('28')) {
    return {
      key: code,
      text: `PostgreSQL at ${target} rejected the login: ${message} (${code})`,
      transient: true,
    };
  }
  if (code === '3D000') {
    return { key: code, text: `PostgreSQL at ${target}: ${message} (3D000)`, transient: true };
  }
  if (code === '57P03') {
    return {
      key: code,
      text: `PostgreSQL at ${target} is starting up or shutting down (57P03)`,
      transient: true,
    };
  }
  if (code && /^[0-9A-Z]{5}$/.test(code)) {
    return {
      key: `${code}:${message}`,
      text: `PostgreSQL at ${target}: ${message} (${code})`,
      transient: isTransientDbError(err),
    };
  }
  if (/timeout/i.test(message)) {
    return {
      key: 'timeout',
      text: `cannot reach PostgreSQL at ${target} (connect timeout)`,
      transient: true,
    };
  }
  if (message.includes('Connection terminated')) {
    return { key: 'terminated', text: `lost the connection to PostgreSQL at ${target}`, transient: true };
  }
  return {
    key: `other:${message}`,
    text: `PostgreSQL at ${target}: ${message}`,
    transient: isTransientDbError(err),
  };
}
