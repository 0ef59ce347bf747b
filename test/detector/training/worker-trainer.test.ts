/**
 * Training in a worker thread on real PostgreSQL: the worker opens its own pool from the same
 * configuration, promotes the models into the registry the detector reads, forwards its log lines,
 * and reports failures instead of leaving the caller waiting.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import winston from 'winston';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { Leases } from '../../../src/detector/store/leases.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import { PgDb } from '../../../src/detector/store/pg-db.js';
import { WorkerTrainer } from '../../../src/detector/training/worker-trainer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { TEST_DB_URL, uniqueSchema } from '../store/support.js';
import { MINUTE, T0, rows, testConfig } from './support.js';

const DETECTORS = ['source/isolation-forest', 'source/ocsvm', 'source/kmeans', 'source/dbscan'];

function capturingLogger(): { logger: winston.Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: string }, _e, done) {
      lines.push({ level: info.level, message: info.message });
      done();
    },
  });
  return { logger: winston.createLogger({ transports: [new winston.transports.Stream({ stream })] }), lines };
}

describe('training in a worker thread [integration]', () => {
  const config = testConfig({
    store: { kind: 'postgres', url: TEST_DB_URL, schema: uniqueSchema('t_wtrain') },
  });
  let db: PgDb;
  let store: FeatureStore;

  before(async () => {
    db = new PgDb({ url: TEST_DB_URL, schema: config.store.schema, poolSize: 2, logger: silentLogger() });
    store = new FeatureStore(db, config.store, {
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
      ownsDb: false,
    });
    await store.migrate();
    await store.writeWindows({ rows: rows(10, T0, 60, (e) => (e < 5 ? 'A' : 'B'), 1), newPeers: [] });
  });
  after(async () => {
    await db.exec(`DROP SCHEMA IF EXISTS "${config.store.schema}" CASCADE`);
    await store.close();
    await db.close();
  });

  test('[integration] trains under the lease in its own thread and promotes into the shared registry', async () => {
    const { logger, lines } = capturingLogger();
    const trainer = new WorkerTrainer({ config, holder: 'worker-test', logger });
    const report = await trainer.run({ until: T0 + 61 * MINUTE, anomalyOnly: true, reason: 'test' });
    assert.equal(report.ran, true);
    assert.ok((report.rows?.train ?? 0) > 0, JSON.stringify(report.rows));
    const active = await new ModelRegistry(db).activeVersions();
    for (const name of DETECTORS) {
      assert.equal(report.models.find((m) => m.name === name)?.decision, 'promoted', name);
      assert.equal(active[name], 1, name);
    }
    // The worker's log lines reach the detector's logger.
    assert.ok(
      lines.some((l) => l.level === 'info' && /source\/isolation-forest v1 promoted/.test(l.message)),
      JSON.stringify(lines.slice(0, 5)),
    );
    // The lease was released: a second run trains (and keeps or replaces what is active).
    const again = await trainer.run({ until: T0 + 61 * MINUTE, anomalyOnly: true });
    assert.equal(again.ran, true);
  });

  test('[integration] a run that fails in the worker rejects with its reason', async () => {
    const broken = testConfig({
      store: { kind: 'postgres', url: TEST_DB_URL, schema: uniqueSchema('t_wtrain_missing') },
    });
    const trainer = new WorkerTrainer({ config: broken, holder: 'worker-test', logger: silentLogger() });
    // No migrations in that schema: the lease table does not exist.
    await assert.rejects(trainer.run({ anomalyOnly: true }), (err: Error) => {
      assert.match(err.message, /lease|relation|does not exist/i);
      return true;
    });
  });

  test('[integration] with PostgreSQL unreachable the run fails instead of waiting', async () => {
    const unreachable = testConfig({
      store: {
        kind: 'postgres',
        url: 'postgres://postgres@127.0.0.1:1/test',
        schema: 'x',
        connectTimeoutMs: 1000,
      },
    });
    const trainer = new WorkerTrainer({ config: unreachable, holder: 'worker-test', logger: silentLogger() });
    await assert.rejects(trainer.run({ anomalyOnly: true }), /ECONNREFUSED|connect/i);
  });

  test('[integration] abort stops a run in progress and frees the lease for the next trainer', async () => {
    const schema = uniqueSchema('t_wtrain_abort');
    const big = testConfig({ store: { kind: 'postgres', url: TEST_DB_URL, schema } });
    const bigDb = new PgDb({ url: TEST_DB_URL, schema, poolSize: 2, logger: silentLogger() });
    const bigStore = new FeatureStore(bigDb, big.store, {
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
      ownsDb: false,
    });
    try {
      await bigStore.migrate();
      await bigStore.writeWindows({ rows: rows(100, T0, 200, (e) => (e < 50 ? 'A' : 'B'), 3), newPeers: [] });
      const leases = new Leases(bigDb);
      const trainer = new WorkerTrainer({
        config: big,
        holder: 'worker-abort',
        logger: silentLogger(),
        releaseLease: (n, h) => leases.release(n, h),
      });
      const run = trainer.run({ anomalyOnly: true });
      const outcome = run.then(
        () => 'finished',
        (err: { code?: string }) => err.code,
      );
      // Wait until the worker holds the lease (it is training), then stop it.
      for (let i = 0; i < 500 && (await leases.get(big.training.lease.name))?.holder !== 'worker-abort'; i++)
        await new Promise((r) => setTimeout(r, 10));
      assert.equal((await leases.get(big.training.lease.name))?.holder, 'worker-abort');
      await trainer.abort();
      assert.equal(await outcome, 'training-stopped');
      assert.equal(await leases.get(big.training.lease.name), undefined, 'the lease is free again');
      assert.deepEqual(
        await new ModelRegistry(bigDb).activeVersions(),
        {},
        'nothing half-trained was promoted',
      );
    } finally {
      await bigDb.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await bigStore.close();
      await bigDb.close();
    }
  });
});
