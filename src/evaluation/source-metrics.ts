/**
 * Per-source ranking, the "per-source ROC-AUC" (pure; docs/adr/0015-scan-detection.md):
 * each source entity is scored by its highest threat (and, as second and third views, its highest
 * anomaly and the highest score of the scan test alone) over its scored windows.
 * - positive: it sent at least one malicious-labelled flow;
 * - negative: it sent no malicious flow and at least one Normal/Benign-labelled flow (a verified
 *   host may also send some unlabelled Background flows);
 * - background / unlabelled: it sent only Background (unverified) or unlabelled flows. Counted
 *   apart and never used as negatives.
 * A capture of one monitored host has ONE negative, so its ROC-AUC is the share of positives ranked
 * above that host's worst window. Pooling captures gives a few negatives. The stratified bootstrap
 * over sources then gives an interval whose width comes mostly from those few negatives, so each
 * negative is also reported on its own.
 */
import { ModelRng } from '../detector/models/random.js';
import { averagePrecision, rocAuc, type Scored } from '../detector/training/ranking-metrics.js';
import type { EntityTruth } from './ground-truth.js';
import type { WindowScore } from './metrics.js';

export type SourceRole = 'positive' | 'negative' | 'background' | 'unlabelled';

export interface SourceScore {
  entity: string;
  /** Which capture the source comes from when several are pooled (the same address on two days is two samples). */
  group?: string;
  role: SourceRole;
  maxThreat: number;
  maxAnomaly: number;
  /** Highest calibrated score of the scan test (0 when it never had evidence against the source). */
  maxScan: number;
  windows: number;
}

export type SourceView = 'threat' | 'anomaly' | 'scan';

export interface ViewRanking {
  rocAuc?: number;
  prAuc?: number;
}

export interface NegativeDetail {
  entity: string;
  group?: string;
  maxThreat: number;
  maxAnomaly: number;
  /** Share of positives scored above it by highest threat (ties count one half). */
  positivesAboveByThreat: number;
  positivesAboveByAnomaly: number;
}

export interface SourceRanking {
  positives: number;
  negatives: number;
  background: number;
  unlabelled: number;
  threat: ViewRanking;
  anomaly: ViewRanking;
  /** The scan test alone: how well that one detector separates the sources. */
  scan: ViewRanking;
  negativeDetails: NegativeDetail[];
}

/** The role of a source from what it sent. */
export function sourceRole(truth: Pick<EntityTruth, 'sent'> | undefined): SourceRole {
  if (!truth) return 'unlabelled';
  if (truth.sent.malicious > 0) return 'positive';
  if (truth.sent.normal > 0) return 'negative';
  if (truth.sent.background > 0) return 'background';
  return 'unlabelled';
}

/** One score per source entity: its highest threat and anomaly over its scored windows. */
export function sourceScores(
  windows: readonly WindowScore[],
  truthOf: (entity: string) => Pick<EntityTruth, 'sent'> | undefined,
  group?: string,
): SourceScore[] {
  const byEntity = new Map<string, SourceScore>();
  for (const w of windows) {
    if (w.kind !== 'source') continue;
    const anomaly = w.anomaly ?? 0;
    const scan = w.scan ?? 0;
    const s = byEntity.get(w.entity);
    if (s) {
      s.maxThreat = Math.max(s.maxThreat, w.threat);
      s.maxAnomaly = Math.max(s.maxAnomaly, anomaly);
      s.maxScan = Math.max(s.maxScan, scan);
      s.windows++;
    } else {
      byEntity.set(w.entity, {
        entity: w.entity,
        ...(group === undefined ? {} : { group }),
        role: sourceRole(truthOf(w.entity)),
        maxThreat: w.threat,
        maxAnomaly: anomaly,
        maxScan: scan,
        windows: 1,
      });
    }
  }
  return [...byEntity.values()].sort((a, b) => (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));
}

const scoreOf = (s: SourceScore, view: SourceView) =>
  view === 'threat' ? s.maxThreat : view === 'anomaly' ? s.maxAnomaly : s.maxScan;

/** Positives against negatives only; background and unlabelled sources are left out. */
export function rankedItems(scores: readonly SourceScore[], view: SourceView): Scored[] {
  return scores
    .filter((s) => s.role === 'positive' || s.role === 'negative')
    .map((s) => ({ score: scoreOf(s, view), positive: s.role === 'positive' }));
}

function view(scores: readonly SourceScore[], v: SourceView): ViewRanking {
  const items = rankedItems(scores, v);
  const out: ViewRanking = {};
  const auc = rocAuc(items);
  const ap = averagePrecision(items);
  if (auc !== undefined) out.rocAuc = auc;
  if (ap !== undefined) out.prAuc = ap;
  return out;
}

/** Share of `positives` scored above `x`, ties counting one half (the AUC against one negative). */
export function shareAbove(positives: readonly number[], x: number): number {
  if (positives.length === 0) return 0;
  let above = 0;
  for (const p of positives) above += p > x ? 1 : p === x ? 0.5 : 0;
  return above / positives.length;
}

export function sourceRanking(scores: readonly SourceScore[]): SourceRanking {
  const count = (r: SourceRole) => scores.filter((s) => s.role === r).length;
  const pos = scores.filter((s) => s.role === 'positive');
  const posThreat = pos.map((s) => s.maxThreat);
  const posAnomaly = pos.map((s) => s.maxAnomaly);
  return {
    positives: pos.length,
    negatives: count('negative'),
    background: count('background'),
    unlabelled: count('unlabelled'),
    threat: view(scores, 'threat'),
    anomaly: view(scores, 'anomaly'),
    scan: view(scores, 'scan'),
    negativeDetails: scores
      .filter((s) => s.role === 'negative')
      .map((s) => ({
        entity: s.entity,
        ...(s.group === undefined ? {} : { group: s.group }),
        maxThreat: s.maxThreat,
        maxAnomaly: s.maxAnomaly,
        positivesAboveByThreat: shareAbove(posThreat, s.maxThreat),
        positivesAboveByAnomaly: shareAbove(posAnomaly, s.maxAnomaly),
      })),
  };
}

export interface BootstrapInterval {
  low: number;
  high: number;
  level: number;
  resamples: number;
}

/**
 * Percentile interval of the ROC-AUC under a stratified bootstrap: positives and negatives are
 * resampled with replacement, each within its own class, so every resample has both classes.
 * Seeded, so the figure is reproducible. Undefined when a class is empty.
 */
export function bootstrapAuc(
  scores: readonly SourceScore[],
  v: SourceView,
  options: { resamples?: number; seed?: number; level?: number } = {},
): BootstrapInterval | undefined {
  const resamples = options.resamples ?? 2000;
  const level = options.level ?? 0.95;
  const items = rankedItems(scores, v);
  const pos = items.filter((i) => i.positive).map((i) => i.score);
  const neg = items.filter((i) => !i.positive).map((i) => i.score);
  if (pos.length === 0 || neg.length === 0) return undefined;
  const rng = new ModelRng(options.seed ?? 1);
  const aucs: number[] = [];
  const sortedPos = new Float64Array(pos.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < pos.length; i++) sortedPos[i] = pos[rng.int(pos.length)]!;
    sortedPos.sort();
    let sum = 0;
    for (let j = 0; j < neg.length; j++) sum += sortedShareAbove(sortedPos, neg[rng.int(neg.length)]!);
    aucs.push(sum / neg.length);
  }
  aucs.sort((a, b) => a - b);
  const tail = (1 - level) / 2;
  const at = (q: number) => aucs[Math.min(aucs.length - 1, Math.max(0, Math.floor(q * aucs.length)))]!;
  return { low: at(tail), high: at(1 - tail), level, resamples };
}

/** shareAbove on ascending scores, by binary search (the bootstrap calls it millions of times). */
function sortedShareAbove(sorted: Float64Array, x: number): number {
  const firstAtLeast = lowerBound(sorted, x);
  let firstAbove = firstAtLeast;
  while (firstAbove < sorted.length && sorted[firstAbove] === x) firstAbove++;
  const above = sorted.length - firstAbove + (firstAbove - firstAtLeast) / 2;
  return above / sorted.length;
}

function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
