/**
 * The preemptive part: from an entity's recent threat (or anomaly) scores, is a rising trend
 * forecast to reach the action threshold within the horizon? A trend counts only when it is
 * monotone beyond chance (Mann–Kendall, one-sided) and its robust slope (Theil–Sen) is positive;
 * the fitted line is then projected to the threshold. Robust fits matter here: one spiky window
 * must neither fake a trend nor hide one. An entity already at the threshold gets no prediction —
 * that is the current verdict's business, not a forecast (docs/adr/0010-forecasting.md).
 */
import { median } from '../models/forecast/stats.js';
import type { Prediction } from './verdict.js';

export interface ScorePoint {
  /** Epoch ms (window end of the scored window). */
  t: number;
  score: number;
}

export interface ThreatTrendOptions {
  /** Most recent points to fit (default 20). */
  points?: number;
  /** Fewer points than this: no prediction (default 8). */
  minPoints?: number;
  /**
   * One-sided Mann–Kendall z a trend must reach (default 2.33, 1%). Measured on flat scores
   * (σ 0.08, 20 points): 3.7% false predictions at 1.645, 0.5% at 2.33 with the guards below.
   */
  minTrendZ?: number;
  /** Project at most this many times the fitted points' time span ahead (default 3). */
  maxExtrapolation?: number;
  /** The fitted rise over the points must reach this many robust residual σ (default 2). */
  minRiseSigmas?: number;
  /** "Now" for the projection (default: the newest point's time). */
  now?: number;
}

export interface TrendFit {
  /** Score units per ms. */
  slope: number;
  /** Fitted score at `now`. */
  level: number;
  /** Mann–Kendall z (positive: rising). */
  z: number;
  points: number;
}

/** Theil–Sen line and Mann–Kendall z over points sorted by time. */
export function fitTrend(points: readonly ScorePoint[], now: number): TrendFit {
  const n = points.length;
  const slopes: number[] = [];
  let s = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dy = points[j]!.score - points[i]!.score;
      s += Math.sign(dy);
      const dt = points[j]!.t - points[i]!.t;
      if (dt > 0) slopes.push(dy / dt);
    }
  }
  const slope = slopes.length > 0 ? median(slopes) : 0;
  const intercept = n > 0 ? median(points.map((p) => p.score - slope * (p.t - now))) : 0;
  const variance = (n * (n - 1) * (2 * n + 5)) / 18;
  const z = variance > 0 ? (s - Math.sign(s)) / Math.sqrt(variance) : 0;
  return { slope, level: intercept, z, points: n };
}

function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

/**
 * A predicted attack when the entity's score trend reaches `threshold` within `horizonSeconds`
 * of now; `at` is the projected crossing time.
 */
export function predictThreatCrossing(
  history: readonly ScorePoint[],
  threshold: number,
  horizonSeconds: number,
  options: ThreatTrendOptions = {},
): Prediction | undefined {
  const sorted = history
    .filter((p) => Number.isFinite(p.score) && Number.isFinite(p.t))
    .sort((a, b) => a.t - b.t);
  const recent = sorted.slice(-(options.points ?? 20));
  const first = recent[0];
  const last = recent[recent.length - 1];
  if (!first || !last || recent.length < (options.minPoints ?? 8)) return undefined;
  if (last.score >= threshold) return undefined;
  const now = options.now ?? last.t;
  const fit = fitTrend(recent, now);
  if (fit.z < (options.minTrendZ ?? 2.33) || !(fit.slope > 0)) return undefined;
  const span = last.t - first.t;
  // Noise around the line (MAD → σ): a rise no larger than the noise is no evidence of a trend.
  const sigma = 1.4826 * median(recent.map((p) => Math.abs(p.score - (fit.level + fit.slope * (p.t - now)))));
  if (fit.slope * span < (options.minRiseSigmas ?? 2) * sigma) return undefined;
  const eta = fit.level >= threshold ? 0 : (threshold - fit.level) / fit.slope;
  if (eta > horizonSeconds * 1000 || eta > (options.maxExtrapolation ?? 3) * span) return undefined;
  const perMinute = fit.slope * 60_000;
  return {
    kind: 'attack',
    at: Math.round(now + eta),
    horizonSeconds,
    detail:
      `score rising ${perMinute.toFixed(3)}/min (Mann–Kendall z ${fit.z.toFixed(1)} over ${fit.points} points), ` +
      `at ${fit.level.toFixed(2)} now; forecast to reach ${threshold.toFixed(2)} in ${formatDuration(eta)}`,
  };
}
