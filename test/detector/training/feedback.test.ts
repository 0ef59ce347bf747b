/**
 * Analyst feedback: a false positive raises the entity's threshold offset (once per incident,
 * bounded) and its windows join the next training set as normal, weighted; a true positive
 * clears the offset and takes the entity's windows out of training. The retrained versions say
 * so in the registry, and the feedback is marked consumed.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/detector/store/db.js';
import type { FeatureStore } from '../../../src/detector/store/feature-store.js';
import {
  countUnconsumedFeedback,
  listFeedback,
  loadThresholdOffsets,
} from '../../../src/detector/store/feedback-queries.js';
import { Leases } from '../../../src/detector/store/leases.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import { recordFeedback } from '../../../src/detector/training/feedback.js';
import { Trainer } from '../../../src/detector/training/trainer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { MINUTE, T0, memoryStore, rows, testConfig } from './support.js';

describe('analyst feedback', () => {
  let db: Db;
  let store: FeatureStore;
  before(async () => {
    ({ db, store } = await memoryStore());
  });
  after(async () => {
    await store.close();
    await db.close();
  });

  const fp = (incident: string, entity = 'ip:10.0.0.1') => ({
    incident,
    kind: 'source' as const,
    entity,
    windowStart: T0,
    windowEnd: T0 + 20 * MINUTE,
    verdict: 'FalsePositive' as const,
    analyst: 'ana',
  });

  test('a false positive raises the offset once per incident, up to the maximum', async () => {
    const options = { falsePositiveStep: 0.1, maxOffset: 0.25 };
    const first = await recordFeedback(db, fp('team/inc-1'), options);
    assert.equal(first.recorded, true);
    assert.ok(Math.abs(first.offset! - 0.1) < 1e-6);
    assert.deepEqual(await recordFeedback(db, fp('team/inc-1'), options), { recorded: false });
    assert.ok(Math.abs((await recordFeedback(db, fp('team/inc-2'), options)).offset! - 0.2) < 1e-6);
    assert.ok(Math.abs((await recordFeedback(db, fp('team/inc-3'), options)).offset! - 0.25) < 1e-6);
    const offsets = await loadThresholdOffsets(db, { step: 0.1, max: 0.25 });
    assert.ok(Math.abs(offsets.get('source:ip:10.0.0.1')! - 0.25) < 1e-6);
  });

  test('a true positive clears the offset; the latest verdict on an incident counts', async () => {
    await recordFeedback(db, { ...fp('team/inc-3'), verdict: 'TruePositive' });
    assert.equal((await loadThresholdOffsets(db, { step: 0.1, max: 0.3 })).has('source:ip:10.0.0.1'), false);
    const effective = (await listFeedback(db)).find((f) => f.incident === 'team/inc-3');
    assert.equal(effective?.verdict, 'TruePositive');
  });

  test('feedback rows written by another process (the controller) raise the bar too', async () => {
    for (const incident of ['ctl/a', 'ctl/b']) {
      await db.query(
        `INSERT INTO feedback (incident, kind, entity, verdict) VALUES ($1, 'source', 'ip:10.9.9.9', 'FalsePositive')`,
        [incident],
      );
    }
    const offsets = await loadThresholdOffsets(db, { step: 0.1, max: 0.3 });
    assert.ok(Math.abs(offsets.get('source:ip:10.9.9.9')! - 0.2) < 1e-6);
    await db.query(
      `INSERT INTO feedback (incident, kind, entity, verdict, created_at)
       VALUES ('ctl/c', 'source', 'ip:10.9.9.9', 'TruePositive', now() + interval '1 second')`,
    );
    assert.equal((await loadThresholdOffsets(db, { step: 0.1, max: 0.3 })).has('source:ip:10.9.9.9'), false);
  });

  test('invalid feedback is refused', async () => {
    await assert.rejects(recordFeedback(db, { ...fp('x'), entity: ' ' }), { code: 'feedback-invalid' });
    await assert.rejects(recordFeedback(db, { ...fp('x'), windowEnd: T0 }), { code: 'feedback-invalid' });
  });

  test('false-positive windows join the next training set, true-positive ones leave it', async () => {
    const fresh = await memoryStore();
    try {
      // ip:10.0.0.1 behaves like B in its first 20 minutes (judged a false positive below);
      // ip:10.0.0.2 is B throughout (judged an attack).
      const history = rows(8, T0, 60, (e, m) => ((e === 0 && m < 20) || e === 1 ? 'B' : 'A'));
      await fresh.store.writeWindows({ rows: history, newPeers: [] });
      const config = testConfig();
      const trainer = new Trainer({
        db: fresh.db,
        registry: new ModelRegistry(fresh.db),
        leases: new Leases(fresh.db),
        config,
        logger: silentLogger(),
        holder: 't',
        progress: false,
      });
      const before = await trainer.trainNow({ anomalyOnly: true });
      assert.deepEqual([before.rows?.falsePositive, before.rows?.truePositive], [0, 0]);

      await recordFeedback(fresh.db, fp('team/inc-fp'));
      await recordFeedback(fresh.db, {
        ...fp('team/inc-tp', 'ip:10.0.0.2'),
        windowStart: undefined,
        windowEnd: undefined,
        verdict: 'TruePositive',
      });
      assert.equal(await countUnconsumedFeedback(fresh.db), 2);
      const after = await trainer.trainNow({ anomalyOnly: true });

      const weight = config.training.falsePositiveWeight;
      // The false positive's 20 windows (windows overlapping the span: starts T0 … T0+19 min) are now weighted.
      assert.equal(after.rows?.falsePositive, 20);
      const tpWindows = history.filter((r) => r.entity === 'ip:10.0.0.2').length;
      assert.equal(after.rows?.truePositive, tpWindows);
      const tpInTrain = history.filter(
        (r) => r.entity === 'ip:10.0.0.2' && r.windowEnd <= after.span!.cut,
      ).length;
      assert.equal(after.rows.train, before.rows!.train + (weight - 1) * 20 - tpInTrain);
      assert.equal(await countUnconsumedFeedback(fresh.db), 0);
      const notes = (await new ModelRegistry(fresh.db).list('source/isolation-forest')).map(
        (m) => m.note ?? '',
      );
      assert.match(notes[0]!, /retrained after feedback #\d+, #\d+ \(1 true, 1 false positive\)/);
    } finally {
      await fresh.store.close();
      await fresh.db.close();
    }
  });
});
