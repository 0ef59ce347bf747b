/**
 * The `Db` abstraction: the few operations the store's repositories need, implemented once over
 * PostgreSQL (`PgDb`, pg-db.ts) and once over PGlite (`PgliteDb`, pglite-db.ts). Everything above
 * this interface (migrations, partitions, repositories) is written once and runs on both.
 *
 * Conventions every implementation keeps:
 * - the connection's search_path is the configured schema and its TimeZone is UTC, so SQL names
 *   tables unqualified and timestamp text is unambiguous;
 * - parameters are always passed separately from SQL text; identifiers that cannot be
 *   parameters (schema, partition names) go through `quoteIdent`;
 * - inside `transaction(fn)` all work goes through the `Tx` handed to `fn`: PGlite has a single
 *   connection, so using the Db itself there would wait for the transaction forever.
 */

export type DbKind = 'postgres' | 'pglite';

export interface QueryResult<T> {
  rows: T[];
  /** Rows inserted, updated or deleted (0 for statements that report none). */
  rowCount: number;
}

export interface Queryable {
  /** One statement, parameters as $1, $2 … */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /** A script of several statements without parameters (migrations, DDL). */
  exec(sql: string): Promise<void>;
}

/** A connection inside an open transaction. */
export interface Tx extends Queryable {
  readonly inTransaction: true;
}

export interface Db extends Queryable {
  readonly kind: DbKind;
  /** The schema every table lives in. */
  readonly schema: string;
  /** BEGIN … COMMIT around `fn`; ROLLBACK and rethrow when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * Bulk-loads rows into `table` (usually a temp table) with COPY in CSV format. Values are
   * encoded by copy-csv.ts: Date for timestamps, JS arrays for PostgreSQL arrays, JSON text (or
   * a plain object) for json columns. Returns the number of rows loaded.
   */
  copyRows(
    tx: Tx,
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly unknown[]>,
  ): Promise<number>;
  close(): Promise<void>;
}

/** Double-quotes an identifier; `a.b` is taken as schema-qualified. */
export function quoteIdent(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

/** `COPY "t" ("a", "b") FROM <source> WITH (FORMAT csv)` */
export function copySql(table: string, columns: readonly string[], source: string): string {
  return `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM ${source} WITH (FORMAT csv)`;
}
