/**
 * The dashboard's Db over the demo worker's PGlite (remote-db.ts), across a real MessageChannel:
 * statements, transactions that commit or roll back, COPY, and failures that keep what callers
 * branch on (a ForesightError's code, a PostgreSQL SQLSTATE).
 */
import assert from 'node:assert/strict';
import { MessageChannel } from 'node:worker_threads';
import { after, before, describe, it } from 'node:test';
import { AlertRuleStore } from '../../../src/detector/store/alert-rule-store.js';
import type { Db } from '../../../src/detector/store/db.js';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { ForesightError } from '../../../src/errors.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { Channel } from '../../../src/dashboard/demo/channel.js';
import { RemoteDb, serveDb } from '../../../src/dashboard/demo/remote-db.js';
import { dropAndClose, openTestDb, storeConfig } from '../../detector/store/support.js';

describe('RemoteDb over a message channel', () => {
  let local: Db;
  let remote: RemoteDb;
  let ports: MessageChannel;

  before(async () => {
    const cfg = storeConfig('pglite');
    local = await openTestDb(cfg);
    await new FeatureStore(local, cfg, {
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
      ownsDb: false,
    }).migrate();
    await local.exec('CREATE TABLE t (id int PRIMARY KEY, name text)');
    ports = new MessageChannel();
    const worker = new Channel(ports.port1);
    serveDb(worker, local);
    remote = new RemoteDb(new Channel(ports.port2), local.schema);
  });
  after(async () => {
    ports.port1.close();
    ports.port2.close();
    await dropAndClose(local);
  });

  it('runs statements with parameters and returns rows and counts', async () => {
    const ins = await remote.query('INSERT INTO t VALUES ($1, $2), ($3, $4)', [1, 'a', 2, 'b']);
    assert.equal(ins.rowCount, 2);
    const { rows } = await remote.query<{ id: number; name: string }>('SELECT id, name FROM t ORDER BY id');
    assert.deepEqual(rows, [
      { id: 1, name: 'a' },
      { id: 2, name: 'b' },
    ]);
  });

  it('commits a transaction', async () => {
    const out = await remote.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES (3, $1)', ['c']);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0]?.n;
    });
    assert.equal(out, 3);
    assert.equal((await local.query('SELECT 1 FROM t WHERE id = 3')).rows.length, 1);
  });

  it('rolls a transaction back when its function throws', async () => {
    await assert.rejects(
      remote.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (4, $1)', ['d']);
        throw new Error('changed my mind');
      }),
      /changed my mind/,
    );
    assert.equal((await local.query('SELECT 1 FROM t WHERE id = 4')).rows.length, 0);
    // The connection is free again.
    assert.equal((await remote.query('SELECT 1 AS one')).rows.length, 1);
  });

  it('loads rows with COPY inside a transaction', async () => {
    const n = await remote.transaction((tx) =>
      remote.copyRows(
        tx,
        't',
        ['id', 'name'],
        [
          [10, 'x'],
          [11, 'y, with a comma'],
        ],
      ),
    );
    assert.equal(n, 2);
    const { rows } = await local.query<{ name: string }>('SELECT name FROM t WHERE id = 11');
    assert.equal(rows[0]?.name, 'y, with a comma');
  });

  it('keeps the SQLSTATE of a failed statement (a unique violation reads as one)', async () => {
    const rules = new AlertRuleStore(remote);
    const rule = {
      policy: 'shop/default',
      name: 'r',
      metric: 'flows',
      threshold: 1,
      count: 1,
      windowSeconds: 60,
      severity: 'warning' as const,
    };
    await rules.create(rule);
    await assert.rejects(
      rules.create(rule),
      (err: unknown) => err instanceof ForesightError && err.code === 'rule-exists',
    );
  });

  it("keeps a ForesightError's code across the channel", async () => {
    const pair = new MessageChannel();
    new Channel(pair.port1).handle('fails', () => {
      throw new ForesightError('incident-not-found', 'no incident x/y');
    });
    try {
      await assert.rejects(
        new Channel(pair.port2).call('fails'),
        (err: unknown) => err instanceof ForesightError && err.code === 'incident-not-found',
      );
    } finally {
      pair.port1.close();
      pair.port2.close();
    }
  });
});
