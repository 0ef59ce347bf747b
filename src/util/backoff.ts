/**
 * Capped exponential backoff with jitter, and an abortable sleep over an injectable clock. Shared
 * by everything that retries a remote dependency (PostgreSQL, NATS, the Kubernetes API), so that
 * tests can replace time and randomness and assert the delays without waiting for them.
 */
import { ForesightError } from '../errors.js';

export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with an `aborted` ForesightError as soon as `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortedError(signal));
        return;
      }
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortedError(signal));
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export function abortedError(signal?: AbortSignal, what = 'operation'): ForesightError {
  return new ForesightError('aborted', `${what} aborted`, { cause: signal?.reason });
}

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; 2 doubles. */
  factor?: number;
  /**
   * Share of each delay that is randomised: 0 is deterministic, 0.5 (default) picks uniformly in
   * [delay/2, delay], which spreads replicas restarting together without ever collapsing to 0.
   */
  jitter?: number;
  /** Uniform [0, 1); injectable for tests. */
  random?: () => number;
}

/** Delay sequence for one retried operation: next() grows it, reset() after a success. */
export class Backoff {
  private attempt = 0;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.initialMs > 0) || !(options.maxMs >= options.initialMs)) {
      throw new ForesightError(
        'backoff-invalid',
        `invalid backoff ${options.initialMs}..${options.maxMs} ms`,
      );
    }
    this.factor = options.factor ?? 2;
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? 0.5));
    this.random = options.random ?? Math.random;
  }

  /** Delays handed out since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  /** The current delay before jitter. */
  ceiling(): number {
    // Bounding the exponent keeps the product finite however long the outage lasts.
    const exp = Math.min(this.attempt, 64);
    return Math.min(this.options.maxMs, this.options.initialMs * this.factor ** exp);
  }

  next(): number {
    const cap = this.ceiling();
    this.attempt += 1;
    return Math.round(cap * (1 - this.jitter) + cap * this.jitter * this.random());
  }

  reset(): void {
    this.attempt = 0;
  }
}

export interface RetryOptions extends BackoffOptions {
  clock?: Clock;
  signal?: AbortSignal;
  /** Give up after this many attempts (the last error is thrown); unbounded when absent. */
  maxAttempts?: number;
  /** Errors for which this returns false are thrown at once. Default: retry everything. */
  retryable?: (err: unknown) => boolean;
  /** Called before each sleep: the place to log. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn` until it succeeds, sleeping with backoff between failures. An abort before an attempt
 * or during a sleep rejects with an `aborted` ForesightError whose cause is the last failure.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const backoff = new Backoff(options);
  let lastError: unknown;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) {
      throw new ForesightError('aborted', `aborted after ${attempt - 1} failed attempts`, {
        cause: lastError,
      });
    }
    try {
      return await fn(attempt);
    } catch (err) {
      lastError = err;
      if (options.retryable && !options.retryable(err)) throw err;
      if (options.maxAttempts !== undefined && attempt >= options.maxAttempts) throw err;
      const delay = backoff.next();
      options.onRetry?.(err, attempt, delay);
      try {
        await clock.sleep(delay, options.signal);
      } catch (sleepErr) {
        if (sleepErr instanceof ForesightError && sleepErr.code === 'aborted') {
          throw new ForesightError('aborted', `aborted after ${attempt} failed attempts`, { cause: err });
        }
        throw sleepErr;
      }
    }
  }
}

/**
 * Settles like `promise`, or rejects with an `aborted` ForesightError as soon as `signal` aborts
 * (the work itself is not cancelled: for waits whose result no longer matters, such as a connect
 * attempt during shutdown).
 */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(abortedError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(abortedError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}

/** "500ms", "2s", "1.5s", "2m" — for log lines that say when the next attempt is. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`;
  return `${Number((ms / 60_000).toFixed(1))}m`;
}
