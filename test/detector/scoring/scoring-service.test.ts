/**
 * The scoring service on an in-memory store with real onnxruntime sessions: every window of a
 * stream is scored exactly once while a new model set is promoted mid-stream (each verdict names
 * one set's versions, the old set before the swap, the new after); a false positive's offset
 * lowers the entity's anomaly; a failing publisher never fails the batch; no model, no scores.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/detector/store/db.js';
import type { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { Leases } from '../../../src/detector/store/leases.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import type { FeatureRow } from '../../../src/detector/store/types.js';
import { VerdictStore } from '../../../src/detector/store/verdict-store.js';
import { ScoringService } from '../../../src/detector/scoring/scoring-service.js';
import {
  MemoryVerdictPublisher,
  type VerdictPublisher,
} from '../../../src/detector/scoring/verdict-publisher.js';
import { recordFeedback } from '../../../src/detector/training/feedback.js';
import { Trainer } from '../../../src/detector/training/trainer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { MINUTE, T0, memoryStore, rows, testConfig } from '../training/support.js';

const config = testConfig({ scoring: { minThreat: 0, modelPollSeconds: 3600 } });

function service(db: Db, store: FeatureStore, publisher: VerdictPublisher = new MemoryVerdictPublisher()) {
  return new ScoringService({
    db,
    registry: new ModelRegistry(db),
    verdicts: new VerdictStore(db, store.partitions),
    publisher,
    config,
    logger: silentLogger(),
    metrics: createRegistry({ defaultMetrics: false }),
    now: () => T0 + 1000 * MINUTE,
  });
}

/** A copy of every active model as a new promoted version (same parameters, new numbers). */
async function promoteCopies(registry: ModelRegistry): Promise<void> {
  for (const v of await registry.loadActive()) {
    const version = await registry.saveCandidate({
      name: v.name,
      params: v.params,
      ...(v.onnx ? { onnx: v.onnx } : {}),
      featureSchemaVersion: v.featureSchemaVersion,
      trainingRows: v.trainingRows,
      metrics: v.metrics,
    });
    await registry.promote(v.name, version);
  }
}

describe('scoring service', () => {
  let db: Db;
  let store: FeatureStore;
  let stream: FeatureRow[][];

  before(async () => {
    ({ db, store } = await memoryStore(config));
    await store.writeWindows({ rows: rows(10, T0, 60, (e) => (e < 8 ? 'A' : 'B')), newPeers: [] });
    const trainer = new Trainer({
      db,
      registry: new ModelRegistry(db),
      leases: new Leases(db),
      config,
      logger: silentLogger(),
      holder: 't',
      progress: false,
    });
    await trainer.trainNow({ anomalyOnly: true });
    // 30 later batches, one window end each, of 10 entities.
    const later = rows(10, T0 + 120 * MINUTE, 30, (e, m) => (e === 0 && m >= 20 ? 'B' : 'A'), 9);
    stream = Array.from({ length: 30 }, (_, i) => later.slice(i * 10, (i + 1) * 10));
  });

  after(async () => {
    await store.close();
    await db.close();
  });

  test('a swap mid-stream scores every window exactly once, each batch by one set', async () => {
    const publisher = new MemoryVerdictPublisher();
    const scoring = service(db, store, publisher);
    await scoring.refresh();
    const v1 = scoring.versions;
    assert.equal(v1['source/isolation-forest'], 1);
    const pending: Promise<void>[] = [];
    for (const [i, batch] of stream.entries()) {
      pending.push(scoring.onWindows(batch));
      if (i === 14) {
        await promoteCopies(new ModelRegistry(db));
        pending.push(scoring.refresh());
      }
    }
    await Promise.all(pending);
    await scoring.close();

    const total = stream.reduce((n, b) => n + b.length, 0);
    const keys = new Set(publisher.verdicts.map((v) => `${v.entity.key}@${v.window.end}`));
    assert.equal(publisher.verdicts.length, total, 'one verdict per window');
    assert.equal(keys.size, total, 'no window twice');
    const swapAt = stream[15]![0]!.windowEnd;
    for (const v of publisher.verdicts) {
      const versions = new Set(Object.values(v.models));
      assert.equal(versions.size, 1, 'one set per verdict');
      assert.equal([...versions][0], v.window.end < swapAt ? 1 : 2);
    }
    const stored = await new VerdictStore(db, store.partitions).read({ from: stream[0]![0]!.windowEnd });
    assert.equal(stored.length, total);
  });

  test("a false positive lowers the entity's anomaly by its offset", async () => {
    const scoring = service(db, store);
    await scoring.refresh();
    const batch = stream[25]!;
    const before = (await scoring.scoreBatch(batch)).find((s) => s.row.entity === 'ip:10.0.0.1')!;
    await recordFeedback(db, {
      incident: 'team/inc-9',
      kind: 'source',
      entity: 'ip:10.0.0.1',
      verdict: 'FalsePositive',
    });
    await scoring.refresh();
    const afterFeedback = (await scoring.scoreBatch(batch)).find((s) => s.row.entity === 'ip:10.0.0.1')!;
    await scoring.close();
    const expected = Math.max(0, before.verdict.scores.anomaly - config.scoring.thresholds.falsePositiveStep);
    assert.ok(Math.abs(afterFeedback.verdict.scores.anomaly - expected) < 1e-3);
    assert.ok(afterFeedback.verdict.scores.threat <= before.verdict.scores.threat);
    assert.match(afterFeedback.verdict.explanation.summary, /bar raised by 0\.10/);
  });

  test('a failing publisher does not fail the batch; the verdicts are stored', async () => {
    const failing: VerdictPublisher = { publish: () => Promise.reject(new Error('NATS down')) };
    const scoring = service(db, store, failing);
    await scoring.refresh();
    const batch = stream[29]!.map((r) => ({ ...r, entity: `${r.entity}-x` }));
    await scoring.onWindows(batch);
    await scoring.close();
    const stored = await new VerdictStore(db, store.partitions).read({ entity: 'ip:10.0.0.3-x' });
    assert.equal(stored.length, 1);
  });

  test('without active models windows are left unscored and nothing throws', async () => {
    const fresh = await memoryStore(config);
    try {
      const publisher = new MemoryVerdictPublisher();
      const scoring = service(fresh.db, fresh.store, publisher);
      await scoring.refresh();
      assert.deepEqual(await scoring.scoreBatch(stream[0]!), []);
      await scoring.onWindows(stream[0]!);
      await scoring.close();
      assert.equal(publisher.verdicts.length, 0);
    } finally {
      await fresh.store.close();
      await fresh.db.close();
    }
  });

  test('without models, the scan test alone scores sources whose first contacts fail', async () => {
    const fresh = await memoryStore(config);
    try {
      const scoring = service(fresh.db, fresh.store);
      await scoring.refresh();
      const base = stream[0]!.find((r) => r.kind === 'source')!;
      // One source's first contacts with monitored services, window by window: all fail.
      const scanner = (i: number): FeatureRow => ({
        ...base,
        entity: 'ip:scanner',
        windowStart: base.windowStart + i * MINUTE,
        windowEnd: base.windowEnd + i * MINUTE,
        contacts: { firstOk: 0, firstFailed: 2 },
      });
      const quiet = { ...base, entity: 'ip:quiet' }; // no first contacts: nothing to judge it by
      const first = await scoring.scoreBatch([scanner(0), quiet]);
      assert.deepEqual(
        first.map((s) => s.row.entity),
        ['ip:scanner'],
      );
      const second = await scoring.scoreBatch([scanner(1)]);
      const v = second[0]!.verdict;
      // Four failures in a row: Λ = 4⁴ = 256 ≥ 99, the scanner decision.
      const rule = v.detectors.find((d) => d.detector === 'rule:scan-trw');
      assert.ok(rule, 'the scan test is among the detectors');
      assert.ok(Math.abs(rule.score - (1 - 1 / 256)) < 1e-9);
      assert.ok(v.scores.anomaly > first[0]!.verdict.scores.anomaly);
      assert.match(v.explanation.summary, /scanner by sequential test/);
      assert.deepEqual(v.models, {});
      await scoring.close();
    } finally {
      await fresh.store.close();
      await fresh.db.close();
    }
  });
});
