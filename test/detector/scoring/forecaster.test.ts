import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AdditiveForecaster } from '../../../src/detector/models/forecast/additive.js';
import { OnnxForecaster } from '../../../src/detector/models/forecast/onnx-forecaster.js';
import {
  ForecastService,
  outOfIntervalScore,
  predictBottleneck,
  type ForecastTarget,
} from '../../../src/detector/scoring/forecaster.js';
import { MINUTE, simulatedSeries, slice, stratosphereSeries } from '../models/forecast/support.js';

const SHOP: ForecastTarget = { scope: 'namespace', key: 'shop', metric: 'flows', kind: 'destination' };

describe('outOfIntervalScore', () => {
  const interval = { yhat: 100, lower: 70, upper: 140 };
  const cases: { name: string; actual: number; direction: string; min: number; max: number }[] = [
    { name: 'inside the interval scores 0', actual: 120, direction: 'inside', min: 0, max: 0 },
    { name: 'on the upper bound scores 0', actual: 140, direction: 'inside', min: 0, max: 0 },
    { name: 'just above scores low', actual: 150, direction: 'above', min: 0.05, max: 0.3 },
    {
      name: 'one half-width above (log1p) scores 1 − 1/e',
      actual: Math.expm1(2 * Math.log1p(140) - Math.log1p(100)),
      direction: 'above',
      min: 0.632,
      max: 0.633,
    },
    { name: 'ten times the forecast scores near 1', actual: 1000, direction: 'above', min: 0.99, max: 1 },
    {
      name: 'a collapse below the interval is reported too',
      actual: 5,
      direction: 'below',
      min: 0.9,
      max: 1,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = outOfIntervalScore(c.actual, interval);
      assert.equal(r.direction, c.direction);
      assert.ok(r.score >= c.min && r.score <= c.max, `score ${r.score}`);
    });
  }

  it('a zero-width interval does not make every deviation maximal', () => {
    const r = outOfIntervalScore(1200, { yhat: 1000, lower: 1000, upper: 1000 });
    assert.equal(r.direction, 'above');
    assert.ok(r.score > 0 && r.score < 0.7, `score ${r.score}`);
  });

  it('a sparse series forecast at 0 is not far above on a few flows (counting noise)', () => {
    const zero = { yhat: 0, lower: 0, upper: 0 };
    assert.equal(outOfIntervalScore(3, zero).direction, 'inside');
    const burst = outOfIntervalScore(13, zero);
    assert.equal(burst.direction, 'above');
    assert.ok(burst.score > 0.3 && burst.score < 0.8, `score ${burst.score}`);
    assert.ok(outOfIntervalScore(500, zero).score > 0.95);
  });

  it('counting noise does not widen an interval that is already wider', () => {
    const wide = { yhat: 10_000, lower: 8_000, upper: 12_000 };
    assert.equal(outOfIntervalScore(11_000, wide).direction, 'inside');
    assert.equal(outOfIntervalScore(12_500, wide).direction, 'above');
  });
});

describe('predictBottleneck', () => {
  const forecast = {
    t: Float64Array.from([0, 1, 2, 3], (i) => 1_000_000 + i * MINUTE),
    yhat: Float64Array.from([50, 60, 70, 80]),
    lower: Float64Array.from([40, 48, 56, 64]),
    upper: Float64Array.from([62, 75, 88, 100]),
  };
  const cases: { name: string; capacity: number; bound?: 'upper' | 'yhat'; at?: number }[] = [
    { name: 'upper bound crossing: the first step that reaches capacity', capacity: 85, at: 2 },
    { name: 'already at capacity on the first step', capacity: 60, at: 0 },
    { name: 'the expected value alone crosses later', capacity: 75, bound: 'yhat', at: 3 },
    { name: 'nothing reaches capacity', capacity: 101 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const p = predictBottleneck(forecast, c.capacity, 240, c.bound ? { bound: c.bound } : {});
      if (c.at === undefined) return assert.equal(p, undefined);
      assert.equal(p?.kind, 'bottleneck');
      assert.equal(p?.at, forecast.t[c.at]);
      assert.equal(p?.horizonSeconds, 240);
    });
  }
});

describe('ForecastService', () => {
  it('predicts a bottleneck on the simulated morning ramp before capacity is breached', async () => {
    // Four simulated days from a Monday; the model learns Monday–Wednesday, then watches Thursday.
    const series = simulatedSeries(4, 5);
    const trainEnd = 3 * 1440;
    const capacity = 115; // flows/min into namespace shop; the afternoon peak is about 120
    const service = new ForecastService({ horizonSeconds: 3600, capacity: () => capacity });
    await service.fit(SHOP, slice(series, 0, trainEnd));
    const breach = series.values.findIndex((v, i) => i >= trainEnd && v >= capacity);
    assert.ok(breach > trainEnd + 6 * 60, 'the simulated breach happens in the morning ramp');

    let firstPredicted: number | undefined;
    let predictedAt: number | undefined;
    for (let now = trainEnd + 10; now <= breach; now += 10) {
      const a = await service.assess(SHOP, slice(series, 0, now));
      if (now === trainEnd + 10) assert.equal(a.bottleneck, undefined, 'no bottleneck predicted at night');
      if (a.bottleneck) {
        firstPredicted = now;
        predictedAt = a.bottleneck.at;
        const nowMs = series.startMs + now * MINUTE;
        assert.ok(a.bottleneck.at >= nowMs && a.bottleneck.at <= nowMs + 3600_000, 'within the horizon');
        break;
      }
    }
    assert.ok(
      firstPredicted !== undefined && firstPredicted < breach,
      `predicted at ${firstPredicted}, breach ${breach}`,
    );
    assert.ok(predictedAt! <= series.startMs + breach * MINUTE + 3600_000);
  });

  it('scores the latest value against the forecast made without it', async () => {
    const series = simulatedSeries(3, 9);
    const service = new ForecastService({ horizonSeconds: 300 });
    await service.fit(SHOP, slice(series, 0, 2 * 1440));
    const history = slice(series, 0, 2 * 1440 + 600);
    const normal = await service.assess(SHOP, history);
    assert.equal(normal.forecast.t.length, 5);
    assert.equal(normal.latest.actual, history.values[history.values.length - 1]);
    assert.equal(normal.forecast.t[0], normal.latest.t + MINUTE);

    const spiked = { ...history, values: [...history.values.slice(0, -1), normal.latest.upper * 4] };
    const a = await service.assess(SHOP, spiked);
    assert.equal(a.outOfInterval.direction, 'above');
    assert.ok(a.outOfInterval.score > 0.9, `score ${a.outOfInterval.score}`);
    assert.ok(a.outOfInterval.score > normal.outOfInterval.score);
  });

  it('takes an ONNX session as the model and answers as the TypeScript model does', async () => {
    const series = stratosphereSeries('flows');
    const model = AdditiveForecaster.fit(slice(series, 0, 1200));
    const onnx = await OnnxForecaster.create(
      model,
      model.toOnnx({ name: 'forecast-additive', version: 3, featureSchemaVersion: 1 }),
    );
    const [viaTs, viaOnnx] = [
      new ForecastService({ horizonSeconds: 600 }),
      new ForecastService({ horizonSeconds: 600 }),
    ];
    viaTs.load(SHOP, model);
    viaOnnx.load(SHOP, onnx);
    const [a, b] = [await viaTs.assess(SHOP, series), await viaOnnx.assess(SHOP, series)];
    assert.ok(Math.abs(a.latest.upper - b.latest.upper) <= 1e-4 * Math.max(1, a.latest.upper));
    assert.ok(Math.abs(a.outOfInterval.score - b.outOfInterval.score) <= 1e-4);
    await onnx.release();
  });

  it('refuses a target it has no model for', async () => {
    const service = new ForecastService({ horizonSeconds: 300 });
    await assert.rejects(
      service.assess(SHOP, { startMs: 0, stepMs: MINUTE, values: [1, 2, 3] }),
      (e: { code?: string }) => e.code === 'forecast-no-model',
    );
  });
});
