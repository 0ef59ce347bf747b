/**
 * Training end to end on an in-memory store: a candidate that validates better than the active
 * version on the newest history is promoted; one that validates worse is rejected and the active
 * version stays; two trainers started together train once (the lease).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/detector/store/db.js';
import type { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { Leases } from '../../../src/detector/store/leases.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import { Trainer } from '../../../src/detector/training/trainer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { MINUTE, T0, memoryStore, rows, testConfig } from './support.js';

const DETECTORS = ['source/isolation-forest', 'source/ocsvm', 'source/kmeans', 'source/dbscan'];

function trainer(db: Db, holder = 'test'): Trainer {
  return new Trainer({
    db,
    registry: new ModelRegistry(db),
    leases: new Leases(db),
    config: testConfig(),
    logger: silentLogger(),
    holder,
    progress: false,
  });
}

describe('trainer', () => {
  let db: Db;
  let store: FeatureStore;
  beforeEachStore();

  function beforeEachStore(): void {
    before(async () => {
      ({ db, store } = await memoryStore());
    });
    after(async () => {
      await store.close();
      await db.close();
    });
  }

  test('keeps the active version when the candidate validates worse on the newest history', async () => {
    // Active: trained on both behaviours. New history: only A, then (the holdout) only B.
    await store.writeWindows({ rows: rows(10, T0, 60, (e) => (e < 5 ? 'A' : 'B'), 1), newPeers: [] });
    const first = await trainer(db).trainNow({ until: T0 + 61 * MINUTE, anomalyOnly: true });
    for (const name of DETECTORS)
      assert.equal(first.models.find((m) => m.name === name)?.decision, 'promoted', name);
    const start = T0 + 120 * MINUTE;
    await store.writeWindows({ rows: rows(10, start, 60, (_e, m) => (m < 48 ? 'A' : 'B'), 2), newPeers: [] });
    const second = await trainer(db).trainNow({ from: start, until: start + 61 * MINUTE, anomalyOnly: true });
    const registry = new ModelRegistry(db);
    for (const name of DETECTORS) {
      const outcome = second.models.find((m) => m.name === name)!;
      assert.equal(outcome.decision, 'rejected', `${name}: ${outcome.reason}`);
      assert.ok(outcome.quality! < outcome.activeQuality!, name);
      assert.equal((await registry.activeVersions())[name], 1, name);
    }
  });

  test('promotes a candidate that validates better than the active version', async () => {
    // Active (now v1, trained on A and B) is replaced by a fresh store's story: active on A only,
    // then a history where B is ordinary throughout, holdout included.
    const fresh = await memoryStore();
    try {
      await fresh.store.writeWindows({ rows: rows(10, T0, 60, () => 'A', 3), newPeers: [] });
      await trainer(fresh.db).trainNow({ until: T0 + 61 * MINUTE, anomalyOnly: true });
      const start = T0 + 120 * MINUTE;
      await fresh.store.writeWindows({
        rows: rows(10, start, 60, (e) => (e < 5 ? 'A' : 'B'), 4),
        newPeers: [],
      });
      const report = await trainer(fresh.db).trainNow({
        from: start,
        until: start + 61 * MINUTE,
        anomalyOnly: true,
      });
      const active = await new ModelRegistry(fresh.db).activeVersions();
      for (const name of DETECTORS) {
        const outcome = report.models.find((m) => m.name === name)!;
        assert.equal(outcome.decision, 'promoted', `${name}: ${outcome.reason}`);
        assert.ok(outcome.quality! > outcome.activeQuality!, name);
        assert.equal(active[name], 2, name);
      }
      assert.equal(active['source/entity-baseline'], 2);
    } finally {
      await fresh.store.close();
      await fresh.db.close();
    }
  });

  test('of two trainers started together, one trains and the other finds the lease held', async () => {
    const reports = await Promise.all([
      trainer(db, 'replica-a').run({ anomalyOnly: true }),
      trainer(db, 'replica-b').run({ anomalyOnly: true }),
    ]);
    assert.deepEqual(reports.map((r) => r.ran).sort(), [false, true]);
    const refused = reports.find((r) => !r.ran)!;
    assert.ok(refused.heldBy === 'replica-a' || refused.heldBy === 'replica-b');
    assert.equal(await new Leases(db).get('trainer'), undefined, 'the lease is released after the run');
  });

  test('too little history trains nothing and says why', async () => {
    const fresh = await memoryStore();
    try {
      await fresh.store.writeWindows({ rows: rows(2, T0, 5, () => 'A'), newPeers: [] });
      const report = await trainer(fresh.db).trainNow({ anomalyOnly: true });
      assert.equal(report.models[0]?.decision, 'skipped');
      assert.deepEqual(await new ModelRegistry(fresh.db).list(), []);
    } finally {
      await fresh.store.close();
      await fresh.db.close();
    }
  });
});
