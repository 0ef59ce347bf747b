/**
 * Forecasting through onnxruntime-node: one session per model, loaded once, and many series per
 * call (each call costs 15–40 µs, so entities are batched, at most BATCH rows per run). Gives the
 * same `forecast(history, steps)` as the TypeScript models, so the forecast service takes either.
 * The additive graph gets every future timestamp of every series in one run; the LSTM graph is
 * run once per step over all series, each forecast fed back as the next input, and its interval
 * widened by √h from the normalised output `z`, as in lstm.ts.
 */
import * as ort from 'onnxruntime-node';
import { ForesightError } from '../../../errors.js';
import type { Forecast, ForecasterName, RegularSeries } from '../types.js';
import type { AdditiveForecaster } from './additive.js';
import type { LstmForecaster } from './lstm.js';
import { seriesEnd } from './stats.js';

const BATCH = 1024;

function emptyForecast(n: number): Forecast {
  return {
    t: new Float64Array(n),
    yhat: new Float64Array(n),
    lower: new Float64Array(n),
    upper: new Float64Array(n),
  };
}

function checkStep(history: RegularSeries, stepMs: number): void {
  if (history.stepMs !== stepMs) {
    throw new ForesightError(
      'forecast-bad-series',
      `history step ${history.stepMs} ms ≠ model step ${stepMs} ms`,
    );
  }
}

export class OnnxForecaster {
  private constructor(
    readonly model: AdditiveForecaster | LstmForecaster,
    private readonly session: ort.InferenceSession,
  ) {}

  /** `bytes`: the model's ONNX (from the registry, or `model.toOnnx(meta)`). */
  static async create(
    model: AdditiveForecaster | LstmForecaster,
    bytes: Uint8Array,
  ): Promise<OnnxForecaster> {
    try {
      const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
      return new OnnxForecaster(model, session);
    } catch (err) {
      throw new ForesightError('model-load-failed', `${model.name}: onnxruntime refused the model`, {
        cause: err,
      });
    }
  }

  get name(): ForecasterName {
    return this.model.name;
  }

  get stepMs(): number {
    return this.model.stepMs;
  }

  async forecast(history: RegularSeries, steps: number): Promise<Forecast> {
    const [one] = await this.forecastMany([history], steps);
    return one!;
  }

  /** One forecast per history, each `steps` long. */
  async forecastMany(histories: readonly RegularSeries[], steps: number): Promise<Forecast[]> {
    for (const h of histories) checkStep(h, this.stepMs);
    const out: Forecast[] = [];
    const perRun =
      this.model.name === 'forecast-additive' ? Math.max(1, Math.floor(BATCH / Math.max(1, steps))) : BATCH;
    for (let i = 0; i < histories.length; i += perRun) {
      const chunk = histories.slice(i, i + perRun);
      out.push(
        ...(this.model.name === 'forecast-additive'
          ? await this.additive(chunk, steps)
          : await this.lstm(chunk, steps)),
      );
    }
    return out;
  }

  private async additive(histories: readonly RegularSeries[], steps: number): Promise<Forecast[]> {
    const seconds = new Float64Array(histories.length * steps);
    histories.forEach((h, k) => {
      const end = seriesEnd(h);
      for (let i = 0; i < steps; i++) seconds[k * steps + i] = (end + i * h.stepMs) / 1000;
    });
    const res = await this.session.run({ t: new ort.Tensor('float64', seconds, [seconds.length]) });
    const [yhat, lower, upper] = (['yhat', 'lower', 'upper'] as const).map(
      (k) => res[k]!.data as Float32Array,
    );
    return histories.map((_, k) => {
      const f = emptyForecast(steps);
      for (let i = 0; i < steps; i++) {
        const j = k * steps + i;
        f.t[i] = seconds[j]! * 1000;
        f.yhat[i] = yhat![j]!;
        f.lower[i] = lower![j]!;
        f.upper[i] = upper![j]!;
      }
      return f;
    });
  }

  private async lstm(histories: readonly RegularSeries[], steps: number): Promise<Forecast[]> {
    const model = this.model as LstmForecaster;
    const { window, residualLow, residualHigh } = model.params;
    const n = histories.length;
    const x = new Float32Array(n * window);
    histories.forEach((h, k) => {
      if (h.values.length < window) {
        throw new ForesightError(
          'forecast-too-short',
          `LSTM forecast needs ${window} points of history, got ${h.values.length}`,
        );
      }
      x.set(h.values.slice(h.values.length - window), k * window);
    });
    const out = histories.map(() => emptyForecast(steps));
    for (let step = 0; step < steps; step++) {
      const res = await this.session.run({ x: new ort.Tensor('float32', x, [n, window]) });
      const yhat = res.yhat!.data as Float32Array;
      const z = res.z!.data as Float32Array;
      const widen = Math.sqrt(step + 1);
      for (let k = 0; k < n; k++) {
        const f = out[k]!;
        f.t[step] = seriesEnd(histories[k]!) + step * this.stepMs;
        f.yhat[step] = yhat[k]!;
        f.lower[step] = model.denormalise(z[k]! + residualLow * widen);
        f.upper[step] = model.denormalise(z[k]! + residualHigh * widen);
        // Shift the window left by one and append the forecast.
        x.copyWithin(k * window, k * window + 1, (k + 1) * window);
        x[(k + 1) * window - 1] = yhat[k]!;
      }
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
