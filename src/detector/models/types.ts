/**
 * What every model looks like to training, export and scoring. A model is trained in TypeScript,
 * keeps its parameters as plain JSON (stored in the registry next to its ONNX bytes), scores in
 * TypeScript as the reference, and exports the same function as an ONNX graph built with
 * onnx/builder.ts. Scoring in production goes through onnxruntime-node; the TypeScript score is
 * what parity tests compare it with (|ONNX − TS| ≤ 1e-4 on real feature rows).
 */

export type AnomalyDetectorName = 'isolation-forest' | 'ocsvm' | 'kmeans' | 'dbscan';
export type ForecasterName = 'forecast-additive' | 'forecast-lstm';
export type ModelName = AnomalyDetectorName | ForecasterName;

/** Row-major matrix of feature vectors: `rows` × `dims` float32. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  dims: number;
}

/** Facts stored inside every exported ONNX model's metadata. */
export interface ModelMeta {
  name: ModelName;
  version: number;
  featureSchemaVersion: number;
  trainedFrom?: number;
  trainedTo?: number;
}

/**
 * An anomaly detector. ONNX contract: input `X` float32 [N, dims] (raw feature vectors, any
 * scaling happens inside the graph), output `score` float32 [N]; higher means more anomalous.
 */
export interface AnomalyDetector<P = unknown> {
  readonly name: AnomalyDetectorName;
  readonly params: P;
  /** The TypeScript reference score, one per row. */
  score(x: Matrix): Float32Array;
  toOnnx(meta: ModelMeta): Uint8Array;
}

/**
 * A regular time series: `values[i]` is the quantity in [startMs + i·stepMs, startMs + (i+1)·stepMs).
 * Per-minute traffic (flows or bytes per minute) is the usual one; missing minutes are 0, not absent.
 */
export interface RegularSeries {
  startMs: number;
  stepMs: number;
  values: readonly number[];
}

/** A forecast on the same grid as its series: point `i` is the step starting at `t[i]` (epoch ms). */
export interface Forecast {
  t: Float64Array;
  yhat: Float64Array;
  lower: Float64Array;
  upper: Float64Array;
}

/**
 * A traffic forecaster. `forecast(history, steps)` is the TypeScript reference: the `steps` values
 * after the end of `history` with a prediction interval. ONNX contracts differ by model (see each
 * model's header): the additive model maps timestamps to values and ignores the history's values,
 * the LSTM maps the last `window` values to the next one and is iterated for longer horizons.
 */
export interface Forecaster<P = unknown> {
  readonly name: ForecasterName;
  readonly params: P;
  /** The grid the model was trained on; histories passed to `forecast` must use the same step. */
  readonly stepMs: number;
  forecast(history: RegularSeries, steps: number): Forecast;
  toOnnx(meta: ModelMeta): Uint8Array;
}
