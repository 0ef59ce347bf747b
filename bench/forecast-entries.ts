/**
 * The two traffic forecasters as bench:models entries. They do not train on feature rows: each
 * trains on a seeded synthetic per-minute series with daily and weekly cycles, 20 000 points
 * (about 14 days). "Train" is one fit for the additive model and one epoch for the LSTM (32
 * units, window 48). A batch of N rows is N forecast timestamps (additive) or N one-step windows
 * (LSTM); only the batch's row count is used.
 */
import * as ort from 'onnxruntime-node';
import { AdditiveForecaster } from '../src/detector/models/forecast/additive.js';
import type { LstmForecaster } from '../src/detector/models/forecast/lstm.js';
import { trainLstm } from '../src/detector/models/forecast/lstm-train.js';
import { gaussian, seededRandom } from '../src/detector/models/forecast/stats.js';
import type { Matrix, RegularSeries } from '../src/detector/models/types.js';
import type { BenchModel } from './models.js';

export const FORECAST_POINTS = 20_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const WINDOW = 48;

function series(points: number, seed: number): RegularSeries {
  const startMs = Date.UTC(2024, 0, 1);
  const g = gaussian(seededRandom(seed));
  const values = Array.from({ length: points }, (_, i) => {
    const t = startMs + i * MINUTE;
    const log = 4 + 0.8 * Math.sin((2 * Math.PI * t) / DAY) + 0.3 * Math.sin((2 * Math.PI * t) / (7 * DAY));
    return Math.max(0, Math.round(Math.expm1(log + 0.15 * g())));
  });
  return { startMs, stepMs: MINUTE, values };
}

function additiveEntry(s: RegularSeries): BenchModel {
  let model: AdditiveForecaster | undefined;
  const end = s.startMs + s.values.length * MINUTE;
  const instants = (n: number) => Array.from({ length: n }, (_, i) => end + i * MINUTE);
  return {
    name: `forecast-additive (1 fit, ${FORECAST_POINTS / 1000}k points)`,
    train() {
      const started = performance.now();
      model = AdditiveForecaster.fit(s);
      const trainMs = performance.now() - started;
      return Promise.resolve({
        trainMs,
        onnx: model.toOnnx({ name: 'forecast-additive', version: 1, featureSchemaVersion: 1 }),
      });
    },
    feeds: (batch: Matrix) => ({
      t: new ort.Tensor(
        'float64',
        Float64Array.from(instants(batch.rows), (t) => t / 1000),
        [batch.rows],
      ),
    }),
    reference: (batch: Matrix) => {
      model!.predict(instants(batch.rows));
    },
  };
}

function lstmEntry(s: RegularSeries): BenchModel {
  let model: LstmForecaster | undefined;
  const windows = (n: number) => Array.from({ length: n }, (_, k) => s.values.slice(k, k + WINDOW));
  return {
    name: `forecast-lstm (1 epoch, ${FORECAST_POINTS / 1000}k points)`,
    async train() {
      let trainMs = 0;
      model = await trainLstm(s, { window: WINDOW, units: 32, epochs: 1, onEpoch: (e) => (trainMs = e.ms) });
      return { trainMs, onnx: model.toOnnx({ name: 'forecast-lstm', version: 1, featureSchemaVersion: 1 }) };
    },
    feeds: (batch: Matrix) => ({
      x: new ort.Tensor('float32', Float32Array.from(windows(batch.rows).flat()), [batch.rows, WINDOW]),
    }),
    reference: (batch: Matrix) => {
      model!.predictNext(windows(batch.rows));
    },
  };
}

export function forecastBenchModels(): BenchModel[] {
  const s = series(FORECAST_POINTS, 1);
  return [additiveEntry(s), lstmEntry(s)];
}
