import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import type { LstmForecaster } from '../../../../src/detector/models/forecast/lstm.js';
import { toOnnxGates } from '../../../../src/detector/models/forecast/lstm-onnx.js';
import { trainLstm } from '../../../../src/detector/models/forecast/lstm-train.js';
import { OnnxForecaster } from '../../../../src/detector/models/forecast/onnx-forecaster.js';
import type { ModelMeta } from '../../../../src/detector/models/types.js';
import { maxRelativeError, slice, stratosphereSeries } from './support.js';

const META: ModelMeta = { name: 'forecast-lstm', version: 1, featureSchemaVersion: 1 };
const WINDOW = 24;

describe('LSTM forecaster on a real series (Stratosphere 011, flows per minute)', () => {
  const series = stratosphereSeries('flows');
  let model: LstmForecaster;
  const epochs: number[] = [];

  before(async () => {
    model = await trainLstm(series, {
      window: WINDOW,
      units: 16,
      epochs: 2,
      seed: 7,
      onEpoch: (e) => epochs.push(e.epoch),
    });
  });

  it('trains the epochs it was asked for, reporting each', () => {
    assert.deepEqual(epochs, [1, 2]);
    assert.equal(model.params.kernel.length, 4 * 16);
    assert.equal(model.params.recurrentKernel.length, 4 * 16 * 16);
    assert.ok(Number.isFinite(model.params.metrics.trainLoss));
    assert.ok(model.params.residualLow <= 0 && model.params.residualHigh >= 0);
  });

  it('ONNX equals the TypeScript forward pass on real windows (≤ 1e-4, relative above 1)', async () => {
    const windows = Array.from({ length: 300 }, (_, i) => series.values.slice(i * 4, i * 4 + WINDOW));
    const ts = model.predictNext(windows);
    const session = await ort.InferenceSession.create(model.toOnnx(META), { logSeverityLevel: 3 });
    const out = await session.run({
      x: new ort.Tensor('float32', Float32Array.from(windows.flat()), [windows.length, WINDOW]),
    });
    await session.release();
    for (const k of ['yhat', 'lower', 'upper'] as const) {
      const err = maxRelativeError(out[k]!.data as Float32Array, ts[k]);
      assert.ok(err <= 1e-4, `${k}: ${err}`);
    }
    // The forecasts are not all the same number: the parity is over a live function.
    assert.ok(new Set(Array.from(ts.yhat, (v) => v.toFixed(3))).size > 20);
  });

  it('iterated through onnxruntime, matches the iterated TypeScript forecast for many series', async () => {
    const runner = await OnnxForecaster.create(model, model.toOnnx(META));
    const histories = [slice(series, 0, 300), slice(series, 500, 900), series];
    const many = await runner.forecastMany(histories, 30);
    histories.forEach((h, i) => {
      const ts = model.forecast(h, 30);
      for (const k of ['yhat', 'lower', 'upper'] as const) {
        const err = maxRelativeError(many[i]![k], ts[k]);
        assert.ok(err <= 1e-4, `${k}: ${err}`);
      }
    });
    await runner.release();
  });

  it('widens the interval by √h when iterating', () => {
    const fc = model.forecast(series, 16);
    const z = (v: number) => model.normalise(v);
    // Upper half-widths on the normalised scale (the lower bound may be clamped at 0 traffic).
    const w1 = z(fc.upper[0]!) - z(fc.yhat[0]!);
    const w16 = z(fc.upper[15]!) - z(fc.yhat[15]!);
    assert.ok(Math.abs(w16 / w1 - 4) < 1e-6, `${w16 / w1}`);
  });

  it('refuses a history shorter than its window', () => {
    assert.throws(
      () => model.forecast(slice(series, 0, WINDOW - 1), 5),
      (e: { code?: string }) => e.code === 'forecast-too-short',
    );
  });
});

describe('LSTM weights to ONNX layout', () => {
  it('reorders gates i,f,c,o → i,o,f,c and transposes [in, 4u] → [4u, in]', () => {
    // units 1, inputs 2: kernel row k holds gate values (i,f,c,o) = (10k+1, 10k+2, 10k+3, 10k+4).
    const kernel = [1, 2, 3, 4, 11, 12, 13, 14];
    assert.deepEqual(Array.from(toOnnxGates(kernel, 2, 1)), [1, 11, 4, 14, 2, 12, 3, 13]);
  });

  it('is deterministic for a seed', async () => {
    const s = slice(stratosphereSeries('flows'), 0, 200);
    const [a, b] = [
      await trainLstm(s, { window: 8, units: 4, epochs: 1, seed: 3 }),
      await trainLstm(s, { window: 8, units: 4, epochs: 1, seed: 3 }),
    ];
    assert.deepEqual(a.params, b.params);
  });
});
