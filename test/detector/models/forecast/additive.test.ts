import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import {
  AdditiveForecaster,
  DAILY,
  WEEKLY,
  defaultSeasonalities,
  type AdditiveOptions,
  type AdditiveParams,
} from '../../../../src/detector/models/forecast/additive.js';
import { OnnxForecaster } from '../../../../src/detector/models/forecast/onnx-forecaster.js';
import type { ModelMeta } from '../../../../src/detector/models/types.js';
import { DAY, MINUTE, maxRelativeError, slice, stratosphereSeries, syntheticSeries } from './support.js';

const META: ModelMeta = { name: 'forecast-additive', version: 1, featureSchemaVersion: 1 };

async function onnxPredict(model: AdditiveForecaster, tMs: readonly number[]) {
  const session = await ort.InferenceSession.create(model.toOnnx(META), { logSeverityLevel: 3 });
  const t = new ort.Tensor(
    'float64',
    Float64Array.from(tMs, (v) => v / 1000),
    [tMs.length],
  );
  const out = await session.run({ t });
  await session.release();
  return {
    yhat: out.yhat!.data as Float32Array,
    lower: out.lower!.data as Float32Array,
    upper: out.upper!.data as Float32Array,
  };
}

describe('additive forecaster: ONNX equals the TypeScript reference (≤ 1e-4, relative above 1)', () => {
  const cases: { name: string; metric: 'flows' | 'bytes'; options: AdditiveOptions }[] = [
    { name: 'flows per minute, log1p, daily season', metric: 'flows', options: { seasonalities: [DAILY] } },
    {
      name: 'bytes per minute, log1p, daily + weekly',
      metric: 'bytes',
      options: { seasonalities: [DAILY, WEEKLY] },
    },
    {
      name: 'flows per minute, linear, no season',
      metric: 'flows',
      options: { scale: 'linear', seasonalities: [] },
    },
  ];
  for (const c of cases) {
    it(`real series (Stratosphere 011): ${c.name}`, async () => {
      const series = stratosphereSeries(c.metric);
      const model = AdditiveForecaster.fit(series, c.options);
      const end = series.startMs + series.values.length * MINUTE;
      // Training instants, the next hour, and instants 70 days out, where unreduced float32 phase drifts.
      const tMs = [
        ...series.values.map((_, i) => series.startMs + i * MINUTE),
        ...Array.from({ length: 60 }, (_, i) => end + i * MINUTE),
        ...Array.from({ length: 100 }, (_, i) => end + 70 * DAY + i * 7 * MINUTE),
      ];
      const ts = model.predict(tMs);
      const onnx = await onnxPredict(model, tMs);
      for (const k of ['yhat', 'lower', 'upper'] as const) {
        const err = maxRelativeError(onnx[k], ts[k]);
        assert.ok(err <= 1e-4, `${k}: ${err}`);
      }
    });
  }

  it('OnnxForecaster gives the TypeScript forecast for many series in one call', async () => {
    const series = stratosphereSeries('flows');
    const model = AdditiveForecaster.fit(series, { seasonalities: [DAILY] });
    const runner = await OnnxForecaster.create(model, model.toOnnx(META));
    const histories = [slice(series, 0, 600), slice(series, 0, 1000), series];
    const many = await runner.forecastMany(histories, 60);
    histories.forEach((h, i) => {
      const ts = model.forecast(h, 60);
      assert.deepEqual(Array.from(many[i]!.t), Array.from(ts.t));
      assert.ok(maxRelativeError(many[i]!.upper, ts.upper) <= 1e-4);
      assert.ok(maxRelativeError(many[i]!.yhat, ts.yhat) <= 1e-4);
    });
    await runner.release();
  });
});

describe('additive forecaster: fit', () => {
  it('recovers a known daily + weekly pattern on a held-out week', () => {
    const { series, truth } = syntheticSeries(35, 11);
    const train = slice(series, 0, 28 * 1440);
    const model = AdditiveForecaster.fit(train);
    assert.deepEqual(
      model.params.seasonalities.map((s) => s.name),
      ['daily', 'weekly'],
    );
    const fc = model.forecast(train, 7 * 1440);
    let worst = 0;
    let sum = 0;
    for (let i = 0; i < fc.t.length; i++) {
      const err = Math.abs(Math.log1p(fc.yhat[i]!) - truth(fc.t[i]!));
      worst = Math.max(worst, err);
      sum += err;
    }
    // Signal amplitude is ±1.5 in log1p units, noise σ 0.2: the fit is within a small fraction of both.
    assert.ok(worst < 0.08, `max error ${worst}`);
    assert.ok(sum / fc.t.length < 0.03, `mean error ${sum / fc.t.length}`);
  });

  it('its 90% interval covers 80–98% of a held-out week', () => {
    const { series } = syntheticSeries(35, 12);
    const train = slice(series, 0, 28 * 1440);
    const model = AdditiveForecaster.fit(train);
    const fc = model.forecast(train, 7 * 1440);
    let covered = 0;
    for (let i = 0; i < fc.t.length; i++) {
      const actual = series.values[28 * 1440 + i]!;
      if (actual >= fc.lower[i]! && actual <= fc.upper[i]!) covered++;
    }
    const coverage = covered / fc.t.length;
    assert.ok(coverage >= 0.8 && coverage <= 0.98, `coverage ${coverage}`);
  });

  it('widens the interval with the distance past the training end', () => {
    const { series } = syntheticSeries(14, 13);
    const model = AdditiveForecaster.fit(series);
    const end = series.startMs + series.values.length * MINUTE;
    const [near, far] = [end, end + 14 * DAY].map((t) => model.predict([t]));
    const width = (f: typeof near) => Math.log1p(f!.upper[0]!) - Math.log1p(f!.lower[0]!);
    // One training span out the interval (in log1p units) is twice as wide (widening 1).
    assert.ok(Math.abs(width(far) / width(near) - 2) < 0.01, `${width(far) / width(near)}`);
  });

  it('is deterministic and round-trips through its parameters', () => {
    const series = stratosphereSeries('flows');
    const a = AdditiveForecaster.fit(series);
    const b = AdditiveForecaster.fromParams(
      JSON.parse(JSON.stringify(AdditiveForecaster.fit(series).params)) as AdditiveParams,
    );
    assert.deepEqual(a.forecast(series, 30), b.forecast(series, 30));
  });

  const seasonCases: { name: string; days: number; expected: string[] }[] = [
    { name: 'one day: trend only', days: 1, expected: [] },
    { name: 'two days: daily', days: 2, expected: ['daily'] },
    { name: 'seven days: still no weekly', days: 7, expected: ['daily'] },
    { name: 'eight days: daily and weekly', days: 8, expected: ['daily', 'weekly'] },
  ];
  for (const c of seasonCases) {
    it(`default seasonalities — ${c.name}`, () => {
      assert.deepEqual(
        defaultSeasonalities(c.days * DAY).map((s) => s.name),
        c.expected,
      );
    });
  }

  it('refuses a series too short to fit, and parameters that do not match their basis', () => {
    assert.throws(
      () => AdditiveForecaster.fit({ startMs: 0, stepMs: MINUTE, values: [1, 2, 3] }),
      (e: { code?: string }) => e.code === 'forecast-too-short',
    );
    const params = AdditiveForecaster.fit(stratosphereSeries('flows')).params;
    assert.throws(
      () => AdditiveForecaster.fromParams({ ...params, coef: params.coef.slice(1) }),
      (e: { code?: string }) => e.code === 'forecast-bad-params',
    );
  });
});
