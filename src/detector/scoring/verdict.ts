/**
 * The verdict record: what the detector concludes about one entity in one window, and what the
 * controller acts on. Published as JSON on `foresight.verdicts.<namespace>` (`external` for
 * entities outside the cluster) and stored in the `verdicts` table. This is the contract between
 * detector and controller: change it only by adding optional fields, or bump `version`.
 */
import type { EntityKind } from '../store/types.js';

export const VERDICT_VERSION = 1;
export const VERDICT_SUBJECT_PREFIX = 'foresight.verdicts';

export interface VerdictEntity {
  kind: EntityKind;
  /** `<namespace>/<workload>` or `ip:<token>`, as in the features table. */
  key: string;
  namespace?: string;
  workload?: string;
  /** Addresses (anonymization tokens) the entity used in the window; the controller reveals them to act. */
  addresses: string[];
}

/** Who the entity talked to most in the window (tokens); the controller resolves them to pods. */
export interface VerdictTarget {
  address: string;
  flows: number;
  bytes: number;
}

export interface FeatureContribution {
  name: string;
  value: number;
  /** Typical value for this entity (or its cluster) on training data. */
  baseline: number;
  /** Robust z-score: how far from normal, in units of the training spread. */
  deviation: number;
}

export interface DetectorScore {
  /** `isolation-forest`, `ocsvm`, `kmeans`, `dbscan`, `forecast`, `lstm`, `rule:<name>`. */
  detector: string;
  /** Calibrated to [0,1] against the detector's score distribution on training data. */
  score: number;
  raw: number;
}

export interface Prediction {
  kind: 'attack' | 'bottleneck';
  /** When the threshold or capacity is forecast to be crossed (epoch ms). */
  at: number;
  horizonSeconds: number;
  detail: string;
}

export interface Verdict {
  version: typeof VERDICT_VERSION;
  /** Deterministic: entity + window end + model versions, so a re-scored window is the same verdict. */
  id: string;
  entity: VerdictEntity;
  targets: VerdictTarget[];
  window: { start: number; end: number };
  scoredAt: number;
  scores: {
    /** Ensemble anomaly, [0,1]. */
    anomaly: number;
    /** Impact from criticality, denied ratio and predicted capacity breach, [0,1]. */
    impact: number;
    /** Detector agreement, history length and validation quality, [0,1]. */
    confidence: number;
    /** wA·anomaly + wI·impact + wC·confidence with the detector's default weights; policies re-weigh. */
    threat: number;
  };
  detectors: DetectorScore[];
  explanation: {
    summary: string;
    features: FeatureContribution[];
  };
  prediction?: Prediction;
  /** Model name → registry version that produced the scores. */
  models: Record<string, number>;
}

export function verdictSubject(v: Pick<Verdict, 'entity'>): string {
  const ns = v.entity.namespace ?? 'external';
  return `${VERDICT_SUBJECT_PREFIX}.${ns.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export const DEFAULT_WEIGHTS = { anomaly: 0.6, impact: 0.3, confidence: 0.1 } as const;

export function threatScore(
  s: { anomaly: number; impact: number; confidence: number },
  w: { anomaly: number; impact: number; confidence: number } = DEFAULT_WEIGHTS,
): number {
  const total = w.anomaly + w.impact + w.confidence;
  const score =
    (w.anomaly * s.anomaly + w.impact * s.impact + w.confidence * s.confidence) / (total > 0 ? total : 1);
  return Math.min(1, Math.max(0, score));
}
