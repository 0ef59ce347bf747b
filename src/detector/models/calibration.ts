/**
 * Calibration: a detector's raw score → [0,1] through the empirical distribution of its scores on
 * held-out training rows, i.e. "this row scores higher than p of normal rows".
 *
 * Stored as (probability, quantile) pairs: every percentile 0 … 0.99, finer tail points
 * (0.995, 0.999, 0.9995, 0.9999 where there are enough rows to estimate them) and the maximum at
 * n/(n+1), so even the largest training score leaves room above it. Between points the map is
 * piecewise linear; on a run of equal quantiles (many rows with the very same score) a score equal
 * to them gets the middle of the run. Beyond the maximum the map approaches 1 exponentially,
 * 1 − (1 − pₘₐₓ)·exp(−(s − qₘₐₓ)/τ), with τ chosen so the slope is continuous at the maximum
 * (the last segment's spacing). Monotone non-decreasing and within [0,1] by construction.
 */
import { ForesightError } from '../../errors.js';
import { quantileSorted } from './scaler.js';

export interface CalibrationParams {
  /** Ascending probabilities, first 0, last n/(n+1). */
  probs: number[];
  /** Quantiles of the held-out raw scores at `probs` (non-decreasing). */
  values: number[];
  /** Scale of the exponential tail beyond the maximum (> 0). */
  tail: number;
  /** Rows the distribution was estimated from. */
  rows: number;
}

const TAIL_PROBS = [0.995, 0.999, 0.9995, 0.9999];

export function fitCalibration(scores: ArrayLike<number>): CalibrationParams {
  const sorted = Float64Array.from(scores).filter(Number.isFinite).sort();
  const n = sorted.length;
  if (n < 2)
    throw new ForesightError('calibration-too-few-rows', `calibration needs ≥ 2 finite scores, got ${n}`);
  const pMax = n / (n + 1);
  const probs: number[] = [];
  for (let k = 0; k < 100; k++) if (k / 100 < pMax) probs.push(k / 100);
  for (const p of TAIL_PROBS) if (p < pMax && n * (1 - p) >= 1) probs.push(p);
  const values = probs.map((p) => quantileSorted(sorted, p));
  probs.push(pMax);
  values.push(sorted[n - 1]!);
  const qMax = sorted[n - 1]!;
  // The last segment with a positive spacing sets the tail's scale.
  let k = values.length - 2;
  while (k >= 0 && values[k]! >= qMax) k--;
  const spread = qMax - sorted[0]!;
  const floor = 1e-6 * Math.max(1, Math.abs(qMax), spread);
  const tail =
    k >= 0
      ? ((1 - pMax) * (qMax - values[k]!)) / (pMax - probs[k]!)
      : Math.max(floor, 1e-3 * Math.max(1, Math.abs(qMax)));
  return { probs, values, tail: Math.max(tail, floor), rows: n };
}

/** First index whose value is ≥ s (values.length if none). */
function lowerBound(values: readonly number[], s: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! < s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose value is > s. */
function upperBound(values: readonly number[], s: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid]! <= s) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function calibrate(p: CalibrationParams, raw: number): number {
  const { probs, values } = p;
  const last = values.length - 1;
  if (Number.isNaN(raw)) return 1; // a score the model could not compute is not evidence of normal
  if (raw < values[0]!) return 0;
  const qMax = values[last]!;
  if (raw > qMax) return 1 - (1 - probs[last]!) * Math.exp(-(raw - qMax) / p.tail);
  const a = lowerBound(values, raw);
  const b = upperBound(values, raw) - 1;
  if (a <= b) return (probs[a]! + probs[b]!) / 2; // raw equals a run of quantiles a … b
  // values[b] < raw < values[a], a = b + 1
  const t = (raw - values[b]!) / (values[a]! - values[b]!);
  return probs[b]! + t * (probs[a]! - probs[b]!);
}

export function calibrateAll(p: CalibrationParams, raw: ArrayLike<number>): Float64Array {
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = calibrate(p, raw[i]!);
  return out;
}
