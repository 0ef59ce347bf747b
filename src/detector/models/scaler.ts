/**
 * Robust scaling of feature vectors: per feature, deviation = (x − median) / scale, where scale is
 * the interquartile range divided by 1.349 (so a deviation reads like a z-score on normal data),
 * falling back to the standard deviation where the IQR is 0 (features that are mostly one value,
 * like icmp_share), and never below `minScale` (so a rare non-zero value does not become an
 * infinite deviation). The same numbers scale the distance models' inputs (baked into each ONNX
 * graph as Gather → Sub → Div → Clip) and drive the explanations. The models see deviations
 * clipped to ±CLIP: beyond 20 "sigmas" a row is far from everything anyway, and bounded inputs
 * keep the float32 distance arithmetic in the graphs close to the float64 references.
 *
 * The scaler also decides which columns the models use: the cyclic time features are dropped
 * when the training rows do not cover enough of their cycle (fewer than 18 distinct hours, or 6
 * distinct weekdays), because a model trained on one afternoon would otherwise call every evening
 * window anomalous. Explanations still see every feature.
 */
import { FEATURE_SCHEMA, type FeatureName } from '../features/schema.js';
import { attr, type GraphBuilder } from './onnx/builder.js';
import type { Matrix } from './types.js';

export interface ScalerParams {
  /** Per feature (all dims). */
  median: number[];
  /** Per feature (all dims), > 0. */
  scale: number[];
  /** Indices of the features the models use, ascending. */
  columns: number[];
}

export interface ScalerOptions {
  /** Lower bound of every scale (default 0.05: 5 points of a share, 5% of a log count). */
  minScale?: number;
  /** Use exactly these features instead of the automatic choice. */
  columns?: readonly FeatureName[];
}

const IQR_TO_SIGMA = 1.349;
/** Scaled values the models see are clipped to [−CLIP, CLIP]. */
export const CLIP = 20;
const clip = (v: number) => (v > CLIP ? CLIP : v < -CLIP ? -CLIP : v);
const MIN_HOURS = 18;
const MIN_WEEKDAYS = 6;

/** Quantile with linear interpolation (type 7) of an ascending array. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const a = sorted[lo]!;
  const b = sorted[Math.min(n - 1, lo + 1)]!;
  return a + (h - lo) * (b - a);
}

function column(x: Matrix, j: number): Float64Array {
  const out = new Float64Array(x.rows);
  for (let i = 0; i < x.rows; i++) out[i] = x.data[i * x.dims + j]!;
  return out;
}

function distinctCycles(x: Matrix, sinIdx: number, cosIdx: number, period: number): number {
  const seen = new Set<number>();
  for (let i = 0; i < x.rows; i++) {
    const angle = Math.atan2(x.data[i * x.dims + sinIdx]!, x.data[i * x.dims + cosIdx]!);
    seen.add(((Math.round((angle / (2 * Math.PI)) * period) % period) + period) % period);
  }
  return seen.size;
}

/** Which features the models should use, given the training rows (see header). */
export function chooseColumns(x: Matrix): number[] {
  const F = FEATURE_SCHEMA.index;
  const drop = new Set<number>();
  if (x.dims === FEATURE_SCHEMA.names.length) {
    if (distinctCycles(x, F.hour_sin, F.hour_cos, 24) < MIN_HOURS) drop.add(F.hour_sin).add(F.hour_cos);
    if (distinctCycles(x, F.dow_sin, F.dow_cos, 7) < MIN_WEEKDAYS) drop.add(F.dow_sin).add(F.dow_cos);
  }
  return Array.from({ length: x.dims }, (_, j) => j).filter((j) => !drop.has(j));
}

export function fitScaler(x: Matrix, options: ScalerOptions = {}): ScalerParams {
  const minScale = options.minScale ?? 0.05;
  const median: number[] = [];
  const scale: number[] = [];
  for (let j = 0; j < x.dims; j++) {
    const col = column(x, j).sort();
    // float32-exact, so the ONNX constants and the TypeScript reference use the same numbers.
    median.push(Math.fround(quantileSorted(col, 0.5)));
    let s = (quantileSorted(col, 0.75) - quantileSorted(col, 0.25)) / IQR_TO_SIGMA;
    if (!(s > 0)) {
      let sum = 0;
      let sumSq = 0;
      for (const v of col) {
        sum += v;
        sumSq += v * v;
      }
      const mean = col.length > 0 ? sum / col.length : 0;
      s = Math.sqrt(Math.max(0, col.length > 0 ? sumSq / col.length - mean * mean : 0));
    }
    scale.push(Math.fround(Math.max(s, minScale)));
  }
  const columns = options.columns
    ? options.columns.map((n) => FEATURE_SCHEMA.index[n]).sort((a, b) => a - b)
    : chooseColumns(x);
  return { median, scale, columns };
}

/** Deviation of one feature value from the training median, in scale units. */
export function deviation(p: ScalerParams, feature: number, value: number): number {
  return (value - p.median[feature]!) / p.scale[feature]!;
}

/** The rows scaled, clipped and restricted to the scaler's columns (what the distance models see). */
export function transform(p: ScalerParams, x: Matrix): Matrix {
  const d = p.columns.length;
  const out = new Float32Array(x.rows * d);
  for (let i = 0; i < x.rows; i++) {
    for (let k = 0; k < d; k++) {
      const j = p.columns[k]!;
      out[i * d + k] = clip((x.data[i * x.dims + j]! - p.median[j]!) / p.scale[j]!);
    }
  }
  return { data: out, rows: x.rows, dims: d };
}

/**
 * One row scaled into `out` (length = columns) in double precision: the TypeScript references
 * score from this, so they do not inherit float32 rounding the ONNX graph does not have.
 */
export function transformRow(p: ScalerParams, x: Matrix, row: number, out: Float64Array): void {
  const base = row * x.dims;
  for (let k = 0; k < p.columns.length; k++) {
    const j = p.columns[k]!;
    out[k] = clip((x.data[base + j]! - p.median[j]!) / p.scale[j]!);
  }
}

/** Adds Gather(columns) → Sub(median) → Div(scale) → Clip after `input` [N, dims]; returns [N, columns]. */
export function scalerToOnnx(g: GraphBuilder, input: string, p: ScalerParams): string {
  const all = p.columns.length === p.median.length && p.columns.every((c, i) => c === i);
  const picked = all
    ? input
    : g.op('Gather', [input, g.constant(BigInt64Array.from(p.columns, BigInt), [p.columns.length])], {
        axis: attr.int(1),
      });
  const med = g.constant(
    Float32Array.from(p.columns, (c) => p.median[c]!),
    [1, p.columns.length],
  );
  const sc = g.constant(
    Float32Array.from(p.columns, (c) => p.scale[c]!),
    [1, p.columns.length],
  );
  const scaled = g.op('Div', [g.op('Sub', [picked, med]), sc]);
  const lim = (v: number) => g.constant(new Float32Array([v]), []);
  return g.op('Clip', [scaled, lim(-CLIP), lim(CLIP)]);
}
