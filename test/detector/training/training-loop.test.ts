/**
 * When the detector's training loop trains: no model yet, new feedback that has waited its delay,
 * or the schedule — and not otherwise. The registry and store are real (in memory), the trainer
 * is a stand-in that records the reasons, and time is injected.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/detector/store/db.js';
import type { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import { recordFeedback } from '../../../src/detector/training/feedback.js';
import type { TrainReport, TrainRequest } from '../../../src/detector/training/trainer.js';
import { TrainingLoop } from '../../../src/detector/training/training-loop.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { memoryStore, testConfig } from './support.js';

describe('training loop', () => {
  let db: Db;
  let store: FeatureStore;
  before(async () => {
    ({ db, store } = await memoryStore());
  });
  after(async () => {
    await store.close();
    await db.close();
  });

  test('trains for the first model, after feedback has waited, and on schedule', async () => {
    const registry = new ModelRegistry(db);
    const config = testConfig({
      training: { intervalMinutes: 60, feedbackDelaySeconds: 30, checkIntervalSeconds: 10 },
    }).training;
    let now = Date.now();
    const reasons: string[] = [];
    const trainer = {
      run(request: TrainRequest = {}): Promise<TrainReport> {
        reasons.push(request.reason ?? '');
        return Promise.resolve({ ran: true, models: [], feedbackUsed: 0, ms: 1 });
      },
    };
    const loop = new TrainingLoop({ db, registry, trainer, config, logger: silentLogger(), now: () => now });

    await loop.tick();
    assert.deepEqual(reasons, ['training (first model)']);

    // A model exists now (as a real run would leave it), created "now".
    const v = await registry.saveCandidate({
      name: 'source/isolation-forest',
      params: {},
      featureSchemaVersion: 1,
      trainingRows: 1,
      metrics: {},
    });
    await registry.promote('source/isolation-forest', v);
    now = Date.now();
    await loop.tick();
    assert.equal(reasons.length, 1, 'nothing due');

    await recordFeedback(db, { incident: 'ns/i1', kind: 'source', entity: 'ip:x', verdict: 'FalsePositive' });
    await loop.tick();
    assert.equal(reasons.length, 1, 'feedback waits its delay');
    now += 31_000;
    await loop.tick();
    assert.deepEqual(reasons.slice(1), ['training (feedback)']);

    await db.query('UPDATE feedback SET consumed_at = now()');
    now += 61 * 60_000;
    await loop.tick();
    assert.deepEqual(reasons.slice(2), ['training (schedule)']);
  });
});
