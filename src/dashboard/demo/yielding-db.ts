/**
 * The worker's store as ingest uses it: before each statement or transaction the event loop
 * turns once, so statements the dashboard sent meanwhile (remote-db.ts) reach PGlite's one
 * connection first. PGlite runs a statement synchronously and resolves with microtasks only:
 * without the turn, a whole piece of ingest work (scoring a batch, the engine's writes) would run
 * before the dashboard's message is even read. With it, a dashboard statement waits at most for
 * the statement or transaction running when it arrives.
 */
import type { Db, QueryResult, Tx } from '../../detector/store/db.js';

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

export class YieldingDb implements Db {
  readonly kind;
  readonly schema;

  constructor(private readonly db: Db) {
    this.kind = db.kind;
    this.schema = db.schema;
  }

  async query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    await turn();
    return this.db.query<T>(sql, params);
  }

  async exec(sql: string): Promise<void> {
    await turn();
    return this.db.exec(sql);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    await turn();
    return this.db.transaction(fn);
  }

  copyRows(
    tx: Tx,
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly unknown[]>,
  ): Promise<number> {
    return this.db.copyRows(tx, table, columns, rows);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
