/**
 * The load cycle: how busy the cluster is at a given instant, relative to a weekday afternoon
 * peak. A daily sinusoid (trough at night, peak in the afternoon), a weekend dip and slow random
 * variation. Stateless in time (noise is a hash of the time bucket), so any instant can be
 * evaluated in any order and the same seed always gives the same curve.
 */
import { hashUniform } from './random.js';
import type { LoadCycleSpec } from './topology.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Largest value `loadFactor` can return for this spec: the thinning bound of the Poisson process. */
export function maxLoadFactor(spec: LoadCycleSpec): number {
  return 1 + Math.max(0, spec.noise);
}

/** Load at `t` (epoch ms) relative to the weekday peak; 1 at the peak without noise. */
export function loadFactor(spec: LoadCycleSpec, seed: number, t: number): number {
  const local = t + spec.utcOffsetHours * HOUR_MS;
  const hour = (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  const daily =
    spec.nightFactor +
    (1 - spec.nightFactor) * 0.5 * (1 + Math.cos((2 * Math.PI * (hour - spec.peakHour)) / 24));
  // 1970-01-01 was a Thursday: day 0 → 4 with Sunday = 0.
  const dow = (Math.floor(local / DAY_MS) + 4) % 7;
  const weekly = dow === 0 || dow === 6 ? spec.weekendFactor : 1;
  return daily * weekly * noiseFactor(spec, seed, t);
}

function noiseFactor(spec: LoadCycleSpec, seed: number, t: number): number {
  if (spec.noise <= 0) return 1;
  const pos = t / spec.noiseBucketMs;
  const bucket = Math.floor(pos);
  const frac = pos - bucket;
  const a = hashUniform(seed, bucket) * 2 - 1;
  const b = hashUniform(seed, bucket + 1) * 2 - 1;
  // Linear interpolation keeps the curve continuous: no steps for the forecaster to chase.
  return 1 + spec.noise * (a + (b - a) * frac);
}
