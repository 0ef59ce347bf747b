/**
 * Small numeric helpers the forecasters and the forecast service share: quantiles, medians, a
 * seeded generator, and the value transform a model works on (log1p or linear).
 */
import { ForesightError } from '../../../errors.js';
import type { RegularSeries } from '../types.js';

/** Linear-interpolated quantile (type 7, as R and numpy default) of unsorted values. */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) throw new ForesightError('forecast-empty', 'quantile of no values');
  const sorted = Float64Array.from(values).sort();
  const pos = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function median(values: ArrayLike<number>): number {
  return quantile(values, 0.5);
}

/** Mulberry32: a tiny seeded generator, so training and tests are reproducible. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal deviates from a uniform generator (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => {
    const u = Math.max(random(), Number.MIN_VALUE);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
}

/**
 * The scale a model fits on. Traffic is multiplicative (the daily cycle scales the level, bursts
 * are relative) and heavy-tailed, so `log1p` is the default: intervals come out asymmetric in raw
 * units and forecasts never go negative. `linear` is for bounded quantities such as scores.
 */
export type ValueScale = 'log1p' | 'linear';

export function toModelScale(scale: ValueScale, v: number): number {
  return scale === 'log1p' ? Math.log1p(Math.max(0, v)) : v;
}

/**
 * Largest log1p value mapped back (e^60 ≈ 1e26): a trend extrapolated far past its training span
 * would otherwise overflow float32 in the graph (Infinity) while double precision stays finite.
 */
export const MAX_LOG1P = 60;

/** Back to raw units, clamped at 0: every quantity forecast here is non-negative. */
export function fromModelScale(scale: ValueScale, v: number): number {
  return Math.max(0, scale === 'log1p' ? Math.expm1(Math.min(v, MAX_LOG1P)) : v);
}

export function seriesEnd(s: RegularSeries): number {
  return s.startMs + s.values.length * s.stepMs;
}

export function assertSeries(s: RegularSeries, minPoints: number, what: string): void {
  if (!(s.stepMs > 0) || !Number.isFinite(s.startMs)) {
    throw new ForesightError('forecast-bad-series', `${what}: step must be positive and start finite`);
  }
  if (s.values.length < minPoints) {
    throw new ForesightError(
      'forecast-too-short',
      `${what}: needs at least ${minPoints} points, got ${s.values.length}`,
    );
  }
  for (const v of s.values) {
    if (!Number.isFinite(v))
      throw new ForesightError('forecast-bad-series', `${what}: non-finite value ${v}`);
  }
}
