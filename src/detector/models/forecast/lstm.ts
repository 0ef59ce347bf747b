/**
 * The LSTM traffic forecaster: one LSTM layer over the last `window` values (normalised
 * log1p traffic by default) and a Dense head predicting the next value. Longer horizons iterate
 * one step at a time, feeding each forecast back in raw units (exactly what a caller of the ONNX
 * graph does), and widen the one-step interval by √h. Weights are kept in tfjs/Keras layout
 * (gates i,f,c,o; kernels [in, 4·units]) — training is in lstm-train.ts, the ONNX mapping in
 * lstm-onnx.ts — and this file holds the plain TypeScript forward pass the parity tests compare with.
 *
 * ONNX contract: input `x` float [N, window] raw values, oldest first; outputs `yhat`, `lower`,
 * `upper` float [N], the next value and its one-step interval in raw units, and `z` float [N],
 * the next value normalised (for widening the interval when iterating).
 */
import { ForesightError } from '../../../errors.js';
import type { Forecast, Forecaster, ModelMeta, RegularSeries } from '../types.js';
import { lstmToOnnx } from './lstm-onnx.js';
import { fromModelScale, seriesEnd, toModelScale, type ValueScale } from './stats.js';

export interface LstmParams {
  kind: 'lstm';
  scale: ValueScale;
  stepMs: number;
  window: number;
  units: number;
  /** Normalisation on the model scale: z = (scale(v) − mean) / std. */
  mean: number;
  std: number;
  /** [1, 4·units] row-major, gate order i,f,c,o (tfjs). */
  kernel: number[];
  /** [units, 4·units] row-major, gate order i,f,c,o. */
  recurrentKernel: number[];
  /** [4·units], gate order i,f,c,o. */
  bias: number[];
  /** [units] → 1. */
  denseKernel: number[];
  denseBias: number;
  /** One-step residual quantiles on the validation tail, normalised scale; low ≤ 0 ≤ high. */
  residualLow: number;
  residualHigh: number;
  intervalLevel: number;
  metrics: { points: number; epochs: number; trainLoss: number; validationMae: number };
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

export class LstmForecaster implements Forecaster<LstmParams> {
  readonly name = 'forecast-lstm' as const;

  constructor(readonly params: LstmParams) {}

  static fromParams(params: LstmParams): LstmForecaster {
    const u = params.units;
    const ok =
      params.kind === 'lstm' &&
      params.kernel.length === 4 * u &&
      params.recurrentKernel.length === 4 * u * u &&
      params.bias.length === 4 * u &&
      params.denseKernel.length === u &&
      params.std > 0;
    if (!ok)
      throw new ForesightError('forecast-bad-params', 'LSTM forecaster: weights do not match the unit count');
    return new LstmForecaster(params);
  }

  get stepMs(): number {
    return this.params.stepMs;
  }

  normalise(v: number): number {
    return (toModelScale(this.params.scale, v) - this.params.mean) / this.params.std;
  }

  /** Normalised z back to raw units (clamped at 0). */
  denormalise(z: number): number {
    return fromModelScale(this.params.scale, z * this.params.std + this.params.mean);
  }

  /** The network on one normalised window: the next normalised value. */
  stepNormalised(window: ArrayLike<number>): number {
    const { units: u, kernel, recurrentKernel: rk, bias } = this.params;
    const h = new Float64Array(u);
    const c = new Float64Array(u);
    const gates = new Float64Array(4 * u);
    for (let t = 0; t < window.length; t++) {
      const x = window[t]!;
      for (let j = 0; j < 4 * u; j++) gates[j] = x * kernel[j]! + bias[j]!;
      for (let k = 0; k < u; k++) {
        const hk = h[k]!;
        if (hk === 0) continue;
        const row = k * 4 * u;
        for (let j = 0; j < 4 * u; j++) gates[j]! += hk * rk[row + j]!;
      }
      for (let k = 0; k < u; k++) {
        const i = sigmoid(gates[k]!);
        const f = sigmoid(gates[u + k]!);
        const g = Math.tanh(gates[2 * u + k]!);
        const o = sigmoid(gates[3 * u + k]!);
        c[k] = f * c[k]! + i * g;
        h[k] = o * Math.tanh(c[k]!);
      }
    }
    let out = this.params.denseBias;
    for (let k = 0; k < u; k++) out += h[k]! * this.params.denseKernel[k]!;
    return out;
  }

  /** One step from raw windows (rows of `window` raw values): the function the ONNX graph computes. */
  predictNext(windows: readonly (readonly number[])[]): Forecast {
    const n = windows.length;
    const out: Forecast = {
      t: new Float64Array(n),
      yhat: new Float64Array(n),
      lower: new Float64Array(n),
      upper: new Float64Array(n),
    };
    for (let i = 0; i < n; i++) {
      const w = windows[i]!;
      if (w.length !== this.params.window) {
        throw new ForesightError(
          'forecast-bad-series',
          `LSTM window needs ${this.params.window} values, got ${w.length}`,
        );
      }
      const z = this.stepNormalised(w.map((v) => this.normalise(v)));
      out.yhat[i] = this.denormalise(z);
      out.lower[i] = this.denormalise(z + this.params.residualLow);
      out.upper[i] = this.denormalise(z + this.params.residualHigh);
    }
    return out;
  }

  /** `steps` values after `history`, iterated one step at a time; the interval widens by √h. */
  forecast(history: RegularSeries, steps: number): Forecast {
    const { window, stepMs, residualLow, residualHigh } = this.params;
    if (history.stepMs !== stepMs) {
      throw new ForesightError(
        'forecast-bad-series',
        `history step ${history.stepMs} ms ≠ model step ${stepMs} ms`,
      );
    }
    if (history.values.length < window) {
      throw new ForesightError(
        'forecast-too-short',
        `LSTM forecast needs ${window} points of history, got ${history.values.length}`,
      );
    }
    const raw = history.values.slice(history.values.length - window);
    const end = seriesEnd(history);
    const out: Forecast = {
      t: new Float64Array(steps),
      yhat: new Float64Array(steps),
      lower: new Float64Array(steps),
      upper: new Float64Array(steps),
    };
    for (let h = 0; h < steps; h++) {
      const z = this.stepNormalised(raw.map((v) => this.normalise(v)));
      const widen = Math.sqrt(h + 1);
      out.t[h] = end + h * stepMs;
      const next = this.denormalise(z);
      out.yhat[h] = next;
      out.lower[h] = this.denormalise(z + residualLow * widen);
      out.upper[h] = this.denormalise(z + residualHigh * widen);
      raw.shift();
      raw.push(next);
    }
    return out;
  }

  toOnnx(meta: ModelMeta): Uint8Array {
    return lstmToOnnx(this.params, meta);
  }
}
