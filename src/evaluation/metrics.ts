/**
 * Evaluation metrics over scored windows (pure; docs/adr/0012):
 * - per window: positive when it holds a malicious flow; score = threat;
 * - per entity: positive when its host class is malicious; score = its highest threat;
 * each as ROC-AUC, PR-AUC (average precision) and precision/recall/F1 at the alert threshold,
 * against all other windows/entities and against verified-normal ones only (CTU-13's Background
 * is unlabelled traffic, so it is kept out of the second variant);
 * - per malicious entity: when it was first alerted (window end + allowed lateness: the moment
 *   the detector can emit that window), the time from its first malicious flow in the scored span
 *   to that alert, and the share of all its malicious flows at or after it — what blocking at
 *   the alert would have prevented (flows in the training span count as not prevented).
 */
import {
  averagePrecision,
  confusionAt,
  rocAuc,
  type Confusion,
  type Scored,
} from '../detector/training/ranking-metrics.js';
import type { EntityKind } from '../detector/store/types.js';
import type { HostClass } from './ground-truth.js';

export interface WindowScore {
  kind: EntityKind;
  entity: string;
  windowStart: number;
  windowEnd: number;
  threat: number;
  maliciousFlows: number;
  /** The threat's parts, for reports. */
  anomaly?: number;
  impact?: number;
  confidence?: number;
  /** The scan test's calibrated score (rule:scan-trw), when it had evidence. */
  scan?: number;
}

export interface RankingSummary {
  positives: number;
  negatives: number;
  rocAuc?: number;
  prAuc?: number;
  atThreshold: Confusion;
}

export function summarize(items: readonly Scored[], threshold: number): RankingSummary {
  const positives = items.filter((i) => i.positive).length;
  const out: RankingSummary = {
    positives,
    negatives: items.length - positives,
    atThreshold: confusionAt(items, threshold),
  };
  const auc = rocAuc(items);
  const ap = averagePrecision(items);
  if (auc !== undefined) out.rocAuc = auc;
  if (ap !== undefined) out.prAuc = ap;
  return out;
}

export interface Classified {
  /** Every non-positive counted as negative. */
  all: RankingSummary;
  /** Negatives restricted to verified-normal hosts. */
  verified: RankingSummary;
}

/** Window-level metrics; `hostClass` gives the class of a window's entity. */
export function windowMetrics(
  windows: readonly WindowScore[],
  hostClass: (entity: string) => HostClass,
  threshold: number,
): Classified {
  const all: Scored[] = [];
  const verified: Scored[] = [];
  for (const w of windows) {
    const item = { score: w.threat, positive: w.maliciousFlows > 0 };
    all.push(item);
    if (item.positive || hostClass(w.entity) === 'normal') verified.push(item);
  }
  return { all: summarize(all, threshold), verified: summarize(verified, threshold) };
}

export interface EntityScore {
  kind: EntityKind;
  entity: string;
  maxThreat: number;
  windows: number;
  hostClass: HostClass;
}

/** Highest threat per (kind, entity). */
export function entityScores(
  windows: readonly WindowScore[],
  hostClass: (entity: string) => HostClass,
): EntityScore[] {
  const byKey = new Map<string, EntityScore>();
  for (const w of windows) {
    const key = `${w.kind}:${w.entity}`;
    const e = byKey.get(key);
    if (e) {
      e.maxThreat = Math.max(e.maxThreat, w.threat);
      e.windows++;
    } else {
      byKey.set(key, {
        kind: w.kind,
        entity: w.entity,
        maxThreat: w.threat,
        windows: 1,
        hostClass: hostClass(w.entity),
      });
    }
  }
  return [...byKey.values()];
}

export function entityMetrics(entities: readonly EntityScore[], threshold: number): Classified {
  const all = entities.map((e) => ({ score: e.maxThreat, positive: e.hostClass === 'malicious' }));
  const verified = entities
    .filter((e) => e.hostClass === 'malicious' || e.hostClass === 'normal')
    .map((e) => ({ score: e.maxThreat, positive: e.hostClass === 'malicious' }));
  return { all: summarize(all, threshold), verified: summarize(verified, threshold) };
}

export interface AlertTiming {
  kind: EntityKind;
  entity: string;
  maliciousFlows: number;
  /** Malicious flows before scoring started (in the training span). */
  beforeScoring: number;
  firstMalicious?: number;
  /** First malicious flow at or after the start of scoring. */
  firstScoredMalicious?: number;
  /** When the first alerting window could be emitted: its end + allowed lateness. */
  alertAt?: number;
  /** alertAt − firstScoredMalicious (negative: alerted before it). */
  timeToAlertMs?: number;
  afterAlert: number;
  shareAfterAlert: number;
}

/** Alert timing of one entity from its scored windows and the times of its malicious flows. */
export function alertTiming(
  kind: EntityKind,
  entity: string,
  windows: readonly WindowScore[],
  maliciousTimes: readonly number[],
  o: { threshold: number; latenessMs: number; scoringStart: number },
): AlertTiming {
  let alertAt: number | undefined;
  for (const w of windows) {
    if (w.threat >= o.threshold) {
      const at = w.windowEnd + o.latenessMs;
      if (alertAt === undefined || at < alertAt) alertAt = at;
    }
  }
  const sorted = [...maliciousTimes].sort((a, b) => a - b);
  const firstScored = sorted.find((t) => t >= o.scoringStart);
  const afterAlert = alertAt === undefined ? 0 : sorted.filter((t) => t >= alertAt).length;
  const out: AlertTiming = {
    kind,
    entity,
    maliciousFlows: sorted.length,
    beforeScoring: sorted.filter((t) => t < o.scoringStart).length,
    afterAlert,
    shareAfterAlert: sorted.length > 0 ? afterAlert / sorted.length : 0,
  };
  if (sorted[0] !== undefined) out.firstMalicious = sorted[0];
  if (firstScored !== undefined) out.firstScoredMalicious = firstScored;
  if (alertAt !== undefined) {
    out.alertAt = alertAt;
    if (firstScored !== undefined) out.timeToAlertMs = alertAt - firstScored;
  }
  return out;
}
