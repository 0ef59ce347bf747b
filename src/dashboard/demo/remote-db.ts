/**
 * The demo's store as the dashboard sees it: a `Db` whose statements run in the demo worker,
 * on the worker's PGlite (its one connection), and the worker's side that serves them. Every
 * repository and query the dashboard uses works unchanged over it, transactions included (the
 * worker holds the transaction open while the dashboard sends its statements).
 */
import { ForesightError } from '../../errors.js';
import type { Db, QueryResult, Tx } from '../../detector/store/db.js';
import type { Channel } from './channel.js';

interface Statement {
  sql: string;
  params?: readonly unknown[];
  /** Transaction id from `db.begin`. */
  tx?: number;
}

class RemoteTx implements Tx {
  readonly inTransaction = true as const;

  constructor(
    private readonly channel: Channel,
    readonly id: number,
  ) {}

  query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.channel.call('db.query', { sql, params, tx: this.id } satisfies Statement);
  }

  async exec(sql: string): Promise<void> {
    await this.channel.call('db.exec', { sql, tx: this.id } satisfies Statement);
  }
}

export class RemoteDb implements Db {
  readonly kind = 'pglite' as const;

  constructor(
    private readonly channel: Channel,
    readonly schema: string,
  ) {}

  query<T>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    return this.channel.call('db.query', { sql, params } satisfies Statement);
  }

  async exec(sql: string): Promise<void> {
    await this.channel.call('db.exec', { sql } satisfies Statement);
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    const id = await this.channel.call<number>('db.begin');
    let out: T;
    try {
      out = await fn(new RemoteTx(this.channel, id));
    } catch (err) {
      await this.channel.call('db.end', { tx: id, commit: false }).catch(() => undefined);
      throw err;
    }
    await this.channel.call('db.end', { tx: id, commit: true });
    return out;
  }

  copyRows(
    tx: Tx,
    table: string,
    columns: readonly string[],
    rows: Iterable<readonly unknown[]>,
  ): Promise<number> {
    if (!(tx instanceof RemoteTx)) {
      throw new ForesightError('store-usage', 'copyRows needs a transaction opened by this RemoteDb');
    }
    return this.channel.call('db.copy', { tx: tx.id, table, columns, rows: [...rows] });
  }

  /** The worker owns the store and closes it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Raised inside a served transaction to roll it back; never leaves this module. */
class Rollback extends Error {}

/** The worker's side: runs the dashboard's statements on `db`. */
export function serveDb(channel: Channel, db: Db): void {
  let nextTx = 1;
  const open = new Map<number, { tx: Tx; finish: (commit: boolean) => void; done: Promise<void> }>();
  const target = (tx: number | undefined) => {
    if (tx === undefined) return db;
    const entry = open.get(tx);
    if (!entry) throw new ForesightError('store-usage', `no open transaction ${tx}`);
    return entry.tx;
  };
  channel.handle('db.query', (s: Statement) => target(s.tx).query(s.sql, s.params));
  channel.handle('db.exec', (s: Statement) => target(s.tx).exec(s.sql));
  channel.handle('db.begin', async () => {
    const id = nextTx++;
    let finish: (commit: boolean) => void = () => undefined;
    let begun: (tx: Tx) => void = () => undefined;
    const txReady = new Promise<Tx>((resolve) => (begun = resolve));
    const done = db.transaction(
      (tx) =>
        new Promise<void>((commit, rollback) => {
          finish = (ok) => (ok ? commit() : rollback(new Rollback()));
          begun(tx);
        }),
    );
    // BEGIN itself failed: the race below rejects; otherwise `done` is awaited by db.end.
    const beginFailed = done.then(() => {
      throw new ForesightError('store-usage', 'the transaction ended before it began');
    });
    beginFailed.catch(() => undefined);
    const tx = await Promise.race([txReady, beginFailed]);
    open.set(id, { tx, finish, done });
    return id;
  });
  channel.handle('db.end', async ({ tx, commit }: { tx: number; commit: boolean }) => {
    const entry = open.get(tx);
    if (!entry) throw new ForesightError('store-usage', `no open transaction ${tx}`);
    open.delete(tx);
    entry.finish(commit);
    try {
      await entry.done;
    } catch (err) {
      if (!(err instanceof Rollback)) throw err;
    }
  });
  channel.handle('db.copy', (c: { tx: number; table: string; columns: string[]; rows: unknown[][] }) =>
    db.copyRows(target(c.tx) as Tx, c.table, c.columns, c.rows),
  );
}
