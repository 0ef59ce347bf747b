/**
 * Forecasts in the scoring path: bundles trained from the store's per-minute series, loaded as
 * ONNX sessions; a minute far above the interval gets an out-of-interval score, and a target
 * whose forecast interval reaches its configured capacity carries a predicted bottleneck.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoringSchema } from '../../../src/config/scoring-schema.js';
import { ForecastScoring } from '../../../src/detector/scoring/forecast-scoring.js';
import { trainForecasters } from '../../../src/detector/training/forecast-training.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { MINUTE, T0, memoryStore, row, seeded } from '../training/support.js';

test('out-of-interval traffic and a capacity breach show in the forecast assessment', async () => {
  const { db, store } = await memoryStore();
  const random = seeded(5);
  const history = Array.from({ length: 120 }, (_, m) =>
    row('shop/api', T0 + m * MINUTE, 'A', random, {
      namespace: 'shop',
      workload: 'api',
      flows: 95 + Math.round(random() * 10),
    }),
  );
  try {
    await store.writeWindows({ rows: history, newPeers: [] });
    const bundles = await trainForecasters(db, {
      from: T0,
      to: T0 + 120 * MINUTE,
      windowMs: MINUTE,
      maxTargets: 4,
      minPoints: 30,
      lstm: { maxTargets: 0, epochs: 1, window: 8, units: 4 },
      seed: 1,
    });
    assert.ok(bundles.additive, 'an additive bundle');
    const targets = bundles.additive.params.targets.map((t) => `${t.target.scope}:${t.target.key}`).sort();
    assert.deepEqual(targets, ['entity:shop/api', 'namespace:shop']);

    const cfg = scoringSchema.parse({ horizonSeconds: 600, capacity: { 'namespace:shop': 101 } });
    const scoring = new ForecastScoring(cfg, MINUTE, silentLogger());
    await scoring.load([{ name: 'forecast-additive', version: 1, params: bundles.additive.params }]);
    const next = T0 + 121 * MINUTE;
    const spike = row('shop/api', next, 'A', random, { namespace: 'shop', workload: 'api', flows: 2000 });
    const out = await scoring.assess([spike]);
    const r = out.get(0)!;
    assert.ok(r.outOfInterval > 0.9, `out-of-interval ${r.outOfInterval}`);
    assert.equal(r.detectors[0]?.detector, 'forecast');
    assert.equal(r.bottleneck?.kind, 'bottleneck');
    assert.ok(r.bottleneck.at > next && r.bottleneck.at <= next + 600_000);
    assert.deepEqual(scoring.versions, { 'forecast-additive': 1 });

    const usual = row('shop/api', next + MINUTE, 'A', random, {
      namespace: 'shop',
      workload: 'api',
      flows: 100,
    });
    const calm = (await scoring.assess([usual])).get(0);
    assert.ok((calm?.outOfInterval ?? 0) === 0, 'usual traffic is inside the interval');
    await scoring.close();
  } finally {
    await store.close();
    await db.close();
  }
});
