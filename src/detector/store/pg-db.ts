/**
 * `Db` over PostgreSQL with node-postgres: one Pool per process, an `error` listener on it (an
 * idle connection dropped by the server must not crash the process), COPY through
 * pg-copy-streams. Every connection starts with search_path = the configured schema and
 * TimeZone = UTC, set as startup parameters so they hold before the first query runs.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { ForesightError, errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { csvChunks } from './copy-csv.js';
import { copySql, type Db, type QueryResult, type Tx } from './db.js';
import { describeTarget, scrub } from './redact.js';

export interface PgDbOptions {
  /** postgres:// URL; a secret, never logged. */
  url: string;
  schema: string;
  poolSize: number;
  connectTimeoutMs?: number;
  /** A statement running longer than this is cancelled by the server (0 = no limit). */
  statementTimeoutMs?: number;
  logger: Logger;
}

class PgTx implements Tx {
  readonly inTransaction = true as const;

  constructor(readonly client: pg.PoolClient) {}

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    const res = await this.client.query(sql, params as unknown[] | undefined);
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }
}

export class PgDb implements Db {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  readonly target: string;
  private readonly pool: pg.Pool;
  private closed = false;

  constructor(options: PgDbOptions) {
    this.schema = options.schema;
    this.target = describeTarget(options.url);
    const startup = [`-c search_path=${options.schema}`, '-c TimeZone=UTC'];
    if (options.statementTimeoutMs) startup.push(`-c statement_timeout=${options.statementTimeoutMs}`);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      idleTimeoutMillis: 30_000,
      application_name: 'foresight',
      options: startup.join(' '),
    });
    const url = options.url;
    this.pool.on('error', (err) => {
      // A connection sitting idle in the pool failed (server restart, network cut). The pool has
      // already discarded it; the next query opens a new one.
      options.logger.warn(
        `idle PostgreSQL connection to ${this.target} failed: ${scrub(errorMessage(err), url)}`,
      );
    });
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    const res = await this.pool.query(sql, params as unknown[] | undefined);
    return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // Set when ROLLBACK fails: the connection is unusable and release(err) destroys it.
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(new PgTx(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
      }
      throw err;
    } finally {
      client.release(broken);
    }
  }

  async copyRows(
    tx: Tx,
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly unknown[]>,
  ): Promise<number> {
    if (!(tx instanceof PgTx)) {
      throw new ForesightError('store-usage', 'copyRows needs a transaction opened by this PgDb');
    }
    const stream = tx.client.query(copyFrom(copySql(table, columns, 'STDIN')));
    await pipeline(Readable.from(csvChunks(rows)), stream);
    return stream.rowCount;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
