/**
 * Forecasts in the scoring path: bundles trained from the store's per-minute series, loaded as
 * ONNX sessions; a minute far above the interval gets an out-of-interval score, and a target
 * whose forecast interval reaches its configured capacity carries a predicted bottleneck.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Db } from '../../../src/detector/store/db.js';
import { scoringSchema } from '../../../src/config/scoring-schema.js';
import { ForecastScoring } from '../../../src/detector/scoring/forecast-scoring.js';
import { readTargetSeries } from '../../../src/detector/store/series-queries.js';
import { trainForecasters } from '../../../src/detector/training/forecast-training.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { MINUTE, T0, memoryStore, row, seeded } from '../training/support.js';

/** A window of the `shop/api` workload with `flows` flows. */
const apiRow = (random: () => number, windowStart: number, flows: number) =>
  row('shop/api', windowStart, 'A', random, { namespace: 'shop', workload: 'api', flows });

/** `minutes` steady minutes of `shop/api` from T0, 95–105 flows each. */
const steadyHistory = (random: () => number, minutes: number) =>
  Array.from({ length: minutes }, (_, m) => apiRow(random, T0 + m * MINUTE, 95 + Math.round(random() * 10)));

/** Forecasters trained on the first `minutes` of the store. */
const trainOn = (
  db: Db,
  minutes: number,
  o: { maxTargets: number; lstm: { maxTargets: number; epochs: number } },
) =>
  trainForecasters(db, {
    from: T0,
    to: T0 + minutes * MINUTE,
    windowMs: MINUTE,
    maxTargets: o.maxTargets,
    minPoints: 30,
    lstm: { ...o.lstm, window: 8, units: 4 },
    seed: 1,
  });

test('out-of-interval traffic and a capacity breach show in the forecast assessment', async () => {
  const { db, store } = await memoryStore();
  const random = seeded(5);
  const history = steadyHistory(random, 120);
  try {
    await store.writeWindows({ rows: history, newPeers: [] });
    const bundles = await trainOn(db, 120, { maxTargets: 4, lstm: { maxTargets: 0, epochs: 1 } });
    assert.ok(bundles.additive, 'an additive bundle');
    const targets = bundles.additive.params.targets.map((t) => `${t.target.scope}:${t.target.key}`).sort();
    assert.deepEqual(targets, ['entity:shop/api', 'namespace:shop']);

    const cfg = scoringSchema.parse({ horizonSeconds: 600, capacity: { 'namespace:shop': 101 } });
    const scoring = new ForecastScoring(cfg, MINUTE, silentLogger());
    await scoring.load([{ name: 'forecast-additive', version: 1, params: bundles.additive.params }]);
    const next = T0 + 121 * MINUTE;
    const spike = apiRow(random, next, 2000);
    const out = await scoring.assess([spike]);
    const r = out.get(0)!;
    assert.ok(r.outOfInterval > 0.9, `out-of-interval ${r.outOfInterval}`);
    assert.equal(r.detectors[0]?.detector, 'forecast');
    assert.equal(r.bottleneck?.kind, 'bottleneck');
    assert.ok(r.bottleneck.at > next && r.bottleneck.at <= next + 600_000);
    assert.deepEqual(scoring.versions, { 'forecast-additive': 1 });

    const usual = apiRow(random, next + MINUTE, 100);
    const calm = (await scoring.assess([usual])).get(0);
    assert.ok((calm?.outOfInterval ?? 0) === 0, 'usual traffic is inside the interval');
    await scoring.close();
  } finally {
    await store.close();
    await db.close();
  }
});

test('after a restart the LSTM judges its first window, its input read back from the store', async () => {
  const { db, store } = await memoryStore();
  const random = seeded(7);
  const history = steadyHistory(random, 90);
  try {
    await store.writeWindows({ rows: history, newPeers: [] });
    const bundles = await trainOn(db, 90, { maxTargets: 1, lstm: { maxTargets: 1, epochs: 2 } });
    assert.ok(bundles.lstm, 'an LSTM bundle');
    const cfg = scoringSchema.parse({ horizonSeconds: 300 });
    const bundle = { name: 'forecast-lstm' as const, version: 1, params: bundles.lstm.params };
    const next = T0 + 90 * MINUTE;
    const spike = apiRow(random, next, 5000);

    // A fresh process with nothing recent in memory and no store to ask: the LSTM stays silent.
    const blind = new ForecastScoring(cfg, MINUTE, silentLogger());
    await blind.load([bundle]);
    const lstmOf = (r: Awaited<ReturnType<ForecastScoring['assess']>>) =>
      r.get(0)?.detectors.find((d) => d.detector === 'lstm');
    assert.equal(lstmOf(await blind.assess([spike])), undefined);
    await blind.close();

    // With the store: the eight minutes before the window come back and the spike is judged.
    const reads: { from: number; to: number }[] = [];
    const primed = new ForecastScoring(cfg, MINUTE, silentLogger(), (target, range) => {
      reads.push(range);
      return readTargetSeries(db, target, { ...range, windowMs: MINUTE });
    });
    await primed.load([bundle]);
    const judged = lstmOf(await primed.assess([spike]));
    assert.ok(judged, 'the LSTM scored the first window');
    assert.ok(judged.score > 0.9, `spike out of interval: ${judged.score}`);
    assert.deepEqual(reads, [{ from: next - 8 * MINUTE, to: next }]);
    // Read once: the next window continues from memory.
    await primed.assess([apiRow(random, next + MINUTE, 100)]);
    assert.equal(reads.length, 1);
    await primed.close();
  } finally {
    await store.close();
    await db.close();
  }
});
