/**
 * Training the LSTM forecaster with tfjs on the wasm backend. The series is scaled (log1p by
 * default), normalised with the training part's mean and spread, cut into (window → next value)
 * samples, and split in time: the last `validationShare` of samples is never trained on and gives
 * the one-step residual quantiles of the interval, measured with the TypeScript forward pass —
 * the function that is exported — rather than with tfjs. Deterministic for a seed: seeded
 * initialisers, our own seeded shuffle per epoch (tfjs's shuffle uses Math.random).
 * The recurrent activation is set to sigmoid (tfjs defaults to hard-sigmoid) so that the exported
 * graph can use the ONNX LSTM's default activations.
 */
import { Matrix, QrDecomposition } from 'ml-matrix';
import { ForesightError } from '../../../errors.js';
import type { RegularSeries } from '../types.js';
import { LstmForecaster, type LstmParams } from './lstm.js';
import { assertSeries, gaussian, quantile, seededRandom, toModelScale, type ValueScale } from './stats.js';
import { tfjsWasm } from './tfjs-wasm.js';

export interface LstmEpoch {
  epoch: number;
  epochs: number;
  loss: number;
  ms: number;
}

export interface LstmTrainOptions {
  /** Input steps (default 32). */
  window?: number;
  /** LSTM units (default 32). */
  units?: number;
  /** Default 8. */
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Share of samples, at the end of the series, held out for the interval (default 0.15). */
  validationShare?: number;
  scale?: ValueScale;
  /** Nominal one-step interval coverage (default 0.9). */
  intervalLevel?: number;
  onEpoch?: (e: LstmEpoch) => void;
  /** Checked between epochs. */
  signal?: AbortSignal;
  /** Milliseconds for the epoch timings reported to onEpoch (default performance.now). */
  now?: () => number;
}

/** At most this many held-out windows are run through the TypeScript forward pass. */
const MAX_VALIDATION = 4000;

/**
 * A seeded `rows × cols` matrix with orthonormal rows (rows ≤ cols), the usual recurrent-kernel
 * initialisation. Made here because tfjs's orthogonal initializer warns on the console for
 * matrices over 2000 elements (32 units is 4096).
 */
function orthogonalRows(rows: number, cols: number, seed: number): Float32Array {
  const g = gaussian(seededRandom(seed));
  const a = Matrix.from1DArray(cols, rows, Array.from({ length: rows * cols }, g));
  const q = new QrDecomposition(a).orthogonalMatrix; // cols × rows, orthonormal columns
  return Float32Array.from(q.transpose().to1DArray());
}

function permutation(n: number, random: () => number): Int32Array {
  const p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

export async function trainLstm(
  series: RegularSeries,
  options: LstmTrainOptions = {},
): Promise<LstmForecaster> {
  const window = options.window ?? 32;
  const units = options.units ?? 32;
  const epochs = options.epochs ?? 8;
  const seed = options.seed ?? 1;
  const scale = options.scale ?? 'log1p';
  const level = options.intervalLevel ?? 0.9;
  const now = options.now ?? (() => performance.now());
  assertSeries(series, window + 20, 'LSTM forecaster');

  const m = Float64Array.from(series.values, (v) => toModelScale(scale, v));
  const samples = m.length - window;
  const nVal = Math.max(5, Math.floor(samples * (options.validationShare ?? 0.15)));
  const nTrain = samples - nVal;
  if (nTrain < 10)
    throw new ForesightError('forecast-too-short', `LSTM forecaster: only ${nTrain} training windows`);
  const seen = m.subarray(0, window + nTrain);
  const mean = seen.reduce((a, b) => a + b, 0) / seen.length;
  const std = Math.sqrt(seen.reduce((a, b) => a + (b - mean) ** 2, 0) / seen.length) || 1;
  const z = m.map((v) => (v - mean) / std);

  const tf = await tfjsWasm();
  const xsData = new Float32Array(nTrain * window);
  const ysData = new Float32Array(nTrain);
  for (let s = 0; s < nTrain; s++) {
    xsData.set(z.subarray(s, s + window), s * window);
    ysData[s] = z[s + window]!;
  }
  const xs = tf.tensor3d(xsData, [nTrain, window, 1]);
  const ys = tf.tensor2d(ysData, [nTrain, 1]);
  const model = tf.sequential();
  model.add(
    tf.layers.lstm({
      units,
      inputShape: [window, 1],
      recurrentActivation: 'sigmoid',
      kernelInitializer: tf.initializers.glorotUniform({ seed }),
      recurrentInitializer: 'zeros', // replaced below by our own orthogonal matrix
    }),
  );
  model.add(
    tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 2 }) }),
  );
  const lstmLayer = model.layers[0]!;
  const [k0, , b0] = lstmLayer.getWeights();
  const r = tf.tensor2d(orthogonalRows(units, 4 * units, seed + 1), [units, 4 * units]);
  lstmLayer.setWeights([k0!, r, b0!]);
  r.dispose();
  model.compile({ optimizer: tf.train.adam(options.learningRate ?? 0.005), loss: 'meanSquaredError' });

  const random = seededRandom(seed);
  let loss = Number.NaN;
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (options.signal?.aborted) {
        throw new ForesightError('training-aborted', 'LSTM training aborted', {
          cause: options.signal.reason,
        });
      }
      const started = now();
      const order = tf.tensor1d(permutation(nTrain, random), 'int32');
      const [ex, ey] = [tf.gather(xs, order), tf.gather(ys, order)];
      try {
        const history = await model.fit(ex, ey, {
          epochs: 1,
          batchSize: options.batchSize ?? 64,
          shuffle: false,
          verbose: 0,
        });
        loss = Number(history.history.loss?.[0] ?? Number.NaN);
      } finally {
        tf.dispose([order, ex, ey]);
      }
      options.onEpoch?.({ epoch, epochs, loss, ms: now() - started });
    }
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    const [kernel, recurrentKernel, bias, denseKernel, denseBias] = weights;
    if (!kernel || !recurrentKernel || !bias || !denseKernel || !denseBias) {
      throw new ForesightError('forecast-fit-failed', 'LSTM forecaster: unexpected weight list from tfjs');
    }
    const params: LstmParams = {
      kind: 'lstm',
      scale,
      stepMs: series.stepMs,
      window,
      units,
      mean,
      std,
      kernel,
      recurrentKernel,
      bias,
      denseKernel,
      denseBias: denseBias[0]!,
      residualLow: 0,
      residualHigh: 0,
      intervalLevel: level,
      metrics: { points: m.length, epochs, trainLoss: loss, validationMae: 0 },
    };
    return withInterval(new LstmForecaster(params), z, window, nTrain);
  } finally {
    model.dispose();
    tf.dispose([xs, ys]);
  }
}

/** Residual quantiles of one-step forecasts on the held-out windows (never trained on). */
function withInterval(
  model: LstmForecaster,
  z: Float64Array,
  window: number,
  nTrain: number,
): LstmForecaster {
  const first = Math.max(nTrain, z.length - window - MAX_VALIDATION);
  const residuals: number[] = [];
  for (let s = first; s + window < z.length; s++) {
    residuals.push(z[s + window]! - model.stepNormalised(z.subarray(s, s + window)));
  }
  const p = model.params;
  const mae = residuals.reduce((a, r) => a + Math.abs(r), 0) / residuals.length;
  return new LstmForecaster({
    ...p,
    residualLow: Math.min(0, quantile(residuals, (1 - p.intervalLevel) / 2)),
    residualHigh: Math.max(0, quantile(residuals, (1 + p.intervalLevel) / 2)),
    // In model-scale units (log1p traffic by default), comparable across series.
    metrics: { ...p.metrics, validationMae: mae * p.std },
  });
}
