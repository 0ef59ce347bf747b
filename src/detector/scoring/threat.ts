/**
 * The parts of the threat score besides the ensemble anomaly, as pure functions
 * (docs/adr/0012-threat-score-and-evaluation.md):
 *
 *   relative   = (1 − wE)·ensemble + wE·max(0, ensemble − baseline)/(1 − baseline)   own usual level
 *   anomaly'   = 1 − (1 − relative)·(1 − wF·outOfInterval)   traffic above its forecast interval
 *   anomaly''  = max(0, anomaly' − offset)                    the entity's feedback offset
 *   impact     = 1 − (1 − criticality)·(1 − wD·denied)·(1 − wB·breach)
 *   confidence = (wAg·agreement + wH·min(1, history/full) + wQ·quality) / (wAg + wH + wQ)
 *   threat     = wA·anomaly'' + wI·impact + wC·confidence      (normalised by Σw, verdict.ts)
 *
 * Criticality comes from the `foresight.dev/criticality` label of the entity or of the peers it
 * talks to (the highest wins); entities whose labels are unknown (external addresses, captures
 * without Kubernetes identity) get the configured `unknown` value.
 */
import type { ScoringConfig } from '../../config/scoring-schema.js';
import { threatScore } from './verdict.js';

export const CRITICALITY_LABEL = 'foresight.dev/criticality';

export type CriticalityLevel = 'high' | 'medium' | 'low';

export function parseCriticality(value: string | undefined): CriticalityLevel | undefined {
  switch (value?.trim().toLowerCase()) {
    case 'high':
    case 'critical':
      return 'high';
    case 'medium':
      return 'medium';
    case 'low':
      return 'low';
    default:
      return undefined;
  }
}

const RANK: Record<CriticalityLevel, number> = { low: 0, medium: 1, high: 2 };

/** The highest level among label sets (undefined when none carries the label). */
export function highestCriticality(
  labelSets: Iterable<Readonly<Record<string, string>> | undefined>,
): CriticalityLevel | undefined {
  let best: CriticalityLevel | undefined;
  for (const labels of labelSets) {
    const c = parseCriticality(labels?.[CRITICALITY_LABEL]);
    if (c && (!best || RANK[c] > RANK[best])) best = c;
  }
  return best;
}

export interface ImpactInput {
  criticality: CriticalityLevel | undefined;
  /** Share of the window's flows the network denied. */
  deniedRatio: number;
  /** A capacity breach is forecast within the horizon for the entity or what it talks to. */
  capacityBreach: boolean;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

export function impactScore(input: ImpactInput, cfg: ScoringConfig['impact']): number {
  const crit = cfg.criticality[input.criticality ?? 'unknown'];
  const denied = cfg.deniedWeight * clamp01(input.deniedRatio);
  const breach = input.capacityBreach ? cfg.breachWeight : 0;
  return clamp01(1 - (1 - crit) * (1 - denied) * (1 - breach));
}

export interface ConfidenceInput {
  /** Weighted share of detectors finding the window rare (ensemble.ts). */
  agreement: number;
  /** Windows of the entity seen before this one. */
  historyWindows: number;
  /** Mean validation quality of the models that scored it. */
  quality: number;
}

export function confidenceScore(input: ConfidenceInput, cfg: ScoringConfig['confidence']): number {
  const total = cfg.agreementWeight + cfg.historyWeight + cfg.qualityWeight;
  if (!(total > 0)) return 0;
  const history = Math.min(1, Math.max(0, input.historyWindows) / cfg.fullHistoryWindows);
  return clamp01(
    (cfg.agreementWeight * clamp01(input.agreement) +
      cfg.historyWeight * history +
      cfg.qualityWeight * clamp01(input.quality)) /
      total,
  );
}

/**
 * The anomaly measured against the entity's own usual level `baseline` (a high quantile of its
 * training windows' anomaly): the excess over it, rescaled to [0,1], blended with the population
 * anomaly by `weight`. No baseline (new or rarely seen entity): the population anomaly.
 */
export function relativeAnomaly(anomaly: number, baseline: number | undefined, weight: number): number {
  if (baseline === undefined || !(weight > 0)) return clamp01(anomaly);
  const b = clamp01(baseline);
  const excess = clamp01((anomaly - b) / Math.max(0.05, 1 - b));
  return clamp01((1 - weight) * anomaly + weight * excess);
}

/** Folds an out-of-interval score (traffic above its forecast) into the anomaly. */
export function withForecast(anomaly: number, outOfInterval: number, weight: number): number {
  return clamp01(1 - (1 - clamp01(anomaly)) * (1 - weight * clamp01(outOfInterval)));
}

/** The entity's feedback offset lowers its anomaly, so under any policy's weights it must deviate further. */
export function applyOffset(anomaly: number, offset: number): number {
  return clamp01(anomaly - Math.max(0, offset));
}

export function threatOf(
  parts: { anomaly: number; impact: number; confidence: number },
  weights: ScoringConfig['weights'],
): number {
  return threatScore(parts, weights);
}

/**
 * The ensemble anomaly at which a window of an entity of unknown criticality, with nothing
 * denied and middling confidence, reaches the action threshold: the bar training validation
 * uses for "alerts" when it has no impact or history to go by.
 */
export function anomalyAlertBar(cfg: Pick<ScoringConfig, 'weights' | 'impact' | 'actionThreshold'>): number {
  const w = cfg.weights;
  const total = w.anomaly + w.impact + w.confidence;
  if (!(w.anomaly > 0)) return 1;
  const rest = w.impact * cfg.impact.criticality.unknown + w.confidence * 0.5;
  return clamp01((cfg.actionThreshold * total - rest) / w.anomaly);
}
