/**
 * Opening the store, and retrying store work while the database is away.
 *
 * `openStore` returns a ready `Db`: PGlite at once; PostgreSQL once a `SELECT 1` succeeds. Until
 * then it retries with capped, jittered backoff, logging one line per distinct failure (not per
 * attempt, not a stack trace, never the URL's password), and gives up only when its AbortSignal
 * fires, rejecting with a `store-connect-aborted` ForesightError. A crash-looping pod would say
 * the same thing less clearly and hammer the server harder.
 *
 * `withRetry` wraps one unit of store work (a feature flush): transient failures are retried
 * with the same backoff while the caller keeps its data and withholds its acks; anything else is
 * thrown at once.
 */
import { ForesightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { counter, type Registry } from '../../observability/metrics.js';
import type { Config } from '../../config/schema.js';
import { formatDelay, raceAbort, retry, type Clock } from '../../util/backoff.js';
import type { Db } from './db.js';
import { PgDb } from './pg-db.js';
import { PgliteDb } from './pglite-db.js';
import { describeDbError, isTransientDbError, type DescribedError } from './pg-errors.js';
import { describeTarget } from './redact.js';

export type StoreConfig = Config['store'];

export interface OpenStoreOptions {
  logger: Logger;
  registry: Registry;
  /** Aborting (SIGTERM) stops the retries; openStore then rejects with store-connect-aborted. */
  signal?: AbortSignal;
  clock?: Clock;
  random?: () => number;
}

/** Logs a failure the first time it is seen and after a different one; repeats go to debug. */
class DistinctLog {
  private lastKey: string | undefined;

  constructor(private readonly logger: Logger) {}

  report(described: DescribedError, delayMs: number): void {
    const line = `${described.text}; retrying in ${formatDelay(delayMs)}`;
    if (described.key === this.lastKey) this.logger.debug(line);
    else this.logger.warn(line);
    this.lastKey = described.key;
  }

  get failing(): boolean {
    return this.lastKey !== undefined;
  }
}

export async function openStore(config: StoreConfig, options: OpenStoreOptions): Promise<Db> {
  const { logger } = options;
  if (config.kind === 'pglite') {
    const db = await PgliteDb.open({
      schema: config.schema,
      ...(config.pglitePath === undefined ? {} : { path: config.pglitePath }),
    });
    logger.info(`opened PGlite store (${config.pglitePath ?? 'in memory'}), schema ${config.schema}`);
    return db;
  }

  const url = config.url;
  const target = describeTarget(url);
  const errors = counter(options.registry, 'foresight_store_errors_total', 'Failed store operations', ['op']);
  const db = new PgDb({
    url,
    schema: config.schema,
    poolSize: config.poolSize,
    connectTimeoutMs: config.connectTimeoutMs,
    logger,
  });
  const log = new DistinctLog(logger);
  let last: DescribedError | undefined;
  try {
    await retry(
      async () => {
        // Shutdown must not wait out a connect attempt to a host that drops packets.
        await raceAbort(db.query('SELECT 1'), options.signal);
      },
      {
        initialMs: config.connectRetry.initialMs,
        maxMs: Math.max(config.connectRetry.maxMs, config.connectRetry.initialMs),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.random ? { random: options.random } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        onRetry: (err, _attempt, delay) => {
          errors.inc({ op: 'connect' });
          last = describeDbError(err, target, url);
          log.report(last, delay);
        },
      },
    );
  } catch (err) {
    // Not awaited: ending the pool waits for an attempt still in flight (connectTimeoutMs).
    db.close().catch(() => undefined);
    const reason = last ? `: ${last.text}` : '';
    // The cause is the last failure as described (scrubbed), not the driver's error object.
    throw new ForesightError(
      'store-connect-aborted',
      `gave up connecting to PostgreSQL at ${target}${reason}`,
      {
        cause: new Error(last?.text ?? (err instanceof Error ? err.message : String(err))),
      },
    );
  }
  logger.info(
    log.failing
      ? `connected to PostgreSQL at ${target} (schema ${config.schema}) after retrying`
      : `connected to PostgreSQL at ${target} (schema ${config.schema})`,
  );
  return db;
}

export interface WithRetryOptions {
  logger: Logger;
  /** What is being done, for log lines: "write features". */
  op: string;
  backoff: { initialMs: number; maxMs: number };
  signal?: AbortSignal;
  clock?: Clock;
  random?: () => number;
  /** Used to name the server and scrub the secret in log lines; absent for PGlite. */
  url?: string;
  maxAttempts?: number;
  registry?: Registry;
}

/**
 * Runs `fn` until it succeeds, retrying transient database failures (see isTransientDbError)
 * with backoff. Non-transient errors and an abort are thrown; the caller still holds its data.
 */
export async function withRetry<T>(fn: () => Promise<T>, options: WithRetryOptions): Promise<T> {
  const url = options.url ?? '';
  const target = options.url ? describeTarget(options.url) : 'the store';
  const log = new DistinctLog(options.logger);
  const errors = options.registry
    ? counter(options.registry, 'foresight_store_errors_total', 'Failed store operations', ['op'])
    : undefined;
  const result = await retry(fn, {
    initialMs: options.backoff.initialMs,
    maxMs: Math.max(options.backoff.maxMs, options.backoff.initialMs),
    retryable: isTransientDbError,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.random ? { random: options.random } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    onRetry: (err, _attempt, delay) => {
      errors?.inc({ op: options.op });
      const described = describeDbError(err, target, url);
      log.report({ ...described, text: `${options.op} failed: ${described.text}` }, delay);
    },
  });
  if (log.failing) options.logger.info(`${options.op} succeeded after retrying`);
  return result;
}
