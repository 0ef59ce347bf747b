/**
 * `Db` over PGlite (PostgreSQL compiled to WebAssembly, in this process): the store of
 * `foresight demo` and of tests that need no server. One instance is one connection, so
 * transactions serialise; COPY reads the CSV from PGlite's '/dev/blob' device.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { ForesightError } from '../../errors.js';
import { csvChunks } from './copy-csv.js';
import { copySql, quoteIdent, type Db, type QueryResult, type Tx } from './db.js';

export interface PgliteDbOptions {
  /** Data directory; in memory when absent. */
  path?: string;
  schema: string;
}

class LiteTx implements Tx {
  readonly inTransaction = true as const;

  constructor(readonly tx: Transaction) {}

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    const res = await this.tx.query<T>(sql, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: res.affectedRows ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.tx.exec(sql);
  }
}

export class PgliteDb implements Db {
  readonly kind = 'pglite' as const;
  private closed = false;

  private constructor(
    private readonly lite: PGlite,
    readonly schema: string,
  ) {}

  static async open(options: PgliteDbOptions): Promise<PgliteDb> {
    let lite: PGlite;
    try {
      lite = await PGlite.create(options.path === undefined ? {} : { dataDir: options.path });
    } catch (err) {
      const where = options.path ?? 'memory';
      throw new ForesightError('store-open', `cannot open PGlite database (${where})`, { cause: err });
    }
    // search_path may name a schema that migrations have not created yet; PostgreSQL allows it.
    await lite.exec(`SET search_path TO ${quoteIdent(options.schema)}; SET TimeZone TO 'UTC'`);
    return new PgliteDb(lite, options.schema);
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    const res = await this.lite.query<T>(sql, params as unknown[] | undefined);
    return { rows: res.rows, rowCount: res.affectedRows ?? 0 };
  }

  async exec(sql: string): Promise<void> {
    await this.lite.exec(sql);
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.lite.transaction((tx) => fn(new LiteTx(tx)));
  }

  async copyRows(
    tx: Tx,
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly unknown[]>,
  ): Promise<number> {
    if (!(tx instanceof LiteTx)) {
      throw new ForesightError('store-usage', 'copyRows needs a transaction opened by this PgliteDb');
    }
    const blob = new Blob([...csvChunks(rows)]);
    if (blob.size === 0) return 0;
    const res = await tx.tx.query(copySql(table, columns, `'/dev/blob'`), [], { blob });
    return res.affectedRows ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.lite.close();
  }
}
