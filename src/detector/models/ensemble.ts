/**
 * The ensemble: per-detector calibrated scores → one anomaly score in [0,1] and an agreement.
 *
 * Calibrated scores are percentiles among normal rows, so a typical row already sits at ~0.5 on
 * every detector and the interesting part is squeezed into 0.99 … 1. Each one is therefore first
 * turned into a rarity on a log scale, r = min(1, −log10(1 − c) / cap): with cap 4, a 1-in-100
 * row gives 0.5, 1-in-1000 gives 0.75, 1-in-10 000 or rarer gives 1, a median row 0.08. Then
 *
 *   anomaly = (1 − maxWeight) · Σ wᵢ rᵢ / Σ wᵢ  +  maxWeight · maxᵢ rᵢ
 *
 * the weighted mean keeps one noisy detector from raising an alarm alone, and the max term keeps
 * one confident detector from being averaged away (defaults: equal weights, maxWeight 0.5).
 *
 * agreement = weighted share of detectors whose rarity is at least `agreeAt` (default 0.5, i.e.
 * 1-in-100): how many detectors back an anomaly. It feeds the confidence part of the threat score
 * and is 0 for a row no detector finds unusual.
 */
import type { AnomalyDetectorName } from './types.js';

export interface EnsembleOptions {
  weights?: Partial<Record<AnomalyDetectorName, number>>;
  maxWeight?: number;
  /** −log10(1 − c) at which rarity saturates at 1 (default 4). */
  cap?: number;
  agreeAt?: number;
}

export interface EnsembleResult {
  anomaly: number;
  agreement: number;
}

export const DEFAULT_ENSEMBLE: Required<Omit<EnsembleOptions, 'weights'>> = {
  maxWeight: 0.5,
  cap: 4,
  agreeAt: 0.5,
};

/** Calibrated percentile → rarity in [0,1] on a log scale (see header). */
export function rarity(calibrated: number, cap = DEFAULT_ENSEMBLE.cap): number {
  if (!(calibrated < 1)) return 1;
  if (!(calibrated > 0)) return 0;
  return Math.min(1, -Math.log10(1 - calibrated) / cap);
}

export function combine(
  scores: readonly { detector: AnomalyDetectorName; calibrated: number }[],
  options: EnsembleOptions = {},
): EnsembleResult {
  const maxWeight = options.maxWeight ?? DEFAULT_ENSEMBLE.maxWeight;
  const cap = options.cap ?? DEFAULT_ENSEMBLE.cap;
  const agreeAt = options.agreeAt ?? DEFAULT_ENSEMBLE.agreeAt;
  // Compared in percentile space: 0.99 must count as 1-in-100 despite 1 − 0.99 ≠ 0.01 in binary.
  const agreeAtPercentile = 1 - Math.pow(10, -agreeAt * cap);
  let sum = 0;
  let total = 0;
  let max = 0;
  let agree = 0;
  for (const s of scores) {
    const w = options.weights?.[s.detector] ?? 1;
    if (!(w > 0)) continue;
    const r = rarity(s.calibrated, cap);
    sum += w * r;
    total += w;
    if (r > max) max = r;
    if (s.calibrated >= agreeAtPercentile - 1e-12) agree += w;
  }
  if (total === 0) return { anomaly: 0, agreement: 0 };
  const anomaly = (1 - maxWeight) * (sum / total) + maxWeight * max;
  return { anomaly: Math.min(1, Math.max(0, anomaly)), agreement: agree / total };
}

/**
 * The agreement with one more voter: a rule detector whose calibrated score bounds its false-alarm
 * rate (the scan test, scan-test.ts), next to `models` equally weighted models. The rule's rarity
 * joins the anomaly as a floor instead (score-row.ts): the ensemble's mean term guards against one
 * noisy density model alarming alone, which a test with a proven bound does not need.
 */
export function agreementWithRule(
  agreement: number,
  models: number,
  calibrated: number,
  options: Pick<EnsembleOptions, 'cap' | 'agreeAt'> = {},
): number {
  const cap = options.cap ?? DEFAULT_ENSEMBLE.cap;
  const agreeAt = options.agreeAt ?? DEFAULT_ENSEMBLE.agreeAt;
  const agrees = calibrated >= 1 - Math.pow(10, -agreeAt * cap) - 1e-12 ? 1 : 0;
  return (agreement * models + agrees) / (models + 1);
}
