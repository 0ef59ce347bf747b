/**
 * What verdicts tell about one incident, merged: several verdicts about the same entity that
 * arrive together become one status update (the worst score, the latest observation, every
 * threshold crossing), and the status patch the verdict intake writes from them. Pure.
 */
import type { Verdict } from '../../detector/scoring/verdict.js';
import { isoTime, parseTime } from '../k8s/conditions.js';
import type {
  ActionTimes,
  ActionType,
  Criticality,
  FiredAlertRule,
  IncidentEntity,
  ThreatIncident,
  ThreatIncidentStatus,
  ThreatPolicy,
} from '../threatpolicy/crd-types.js';
import type { PolicyScore } from './scoring.js';
import { round } from './scoring.js';

export interface Observation {
  policy: ThreatPolicy;
  namespace: string;
  name: string;
  entity: IncidentEntity;
  verdict: Verdict;
  score: PolicyScore;
  criticality?: Criticality;
  /** Ladder steps whose threshold this verdict reached. */
  crossed: ActionType[];
  rulesFired: FiredAlertRule[];
  prediction?: Verdict['prediction'];
}

export interface Merged {
  first: Observation;
  peak: Observation;
  latest: Observation;
  crossedAt: Partial<Record<ActionType, number>>;
  rulesFired: FiredAlertRule[];
  count: number;
}

export function mergeObservation(into: Merged | undefined, obs: Observation): Merged {
  if (!into) {
    const crossedAt: Partial<Record<ActionType, number>> = {};
    for (const t of obs.crossed) crossedAt[t] = obs.verdict.scoredAt;
    return { first: obs, peak: obs, latest: obs, crossedAt, rulesFired: [...obs.rulesFired], count: 1 };
  }
  for (const t of obs.crossed) into.crossedAt[t] = Math.max(into.crossedAt[t] ?? 0, obs.verdict.scoredAt);
  if (obs.score.threat > into.peak.score.threat) into.peak = obs;
  if (obs.verdict.scoredAt >= into.latest.verdict.scoredAt) into.latest = obs;
  if (obs.verdict.scoredAt < into.first.verdict.scoredAt) into.first = obs;
  into.rulesFired.push(...obs.rulesFired);
  into.count++;
  return into;
}

/** What the writer remembers of its own writes, because the cache lags them. */
export interface Memo {
  peak: number;
  count: number;
  addresses: string[];
}

const MAX_ADDRESSES = 16;

/** The observation part of the status (the intake's fields only; merge-patched). */
export function observationPatch(
  m: Merged,
  existing: ThreatIncident | undefined,
  memo: Memo | undefined,
): { status: ThreatIncidentStatus; memo: Memo } {
  const prev = existing?.status ?? {};
  const { latest, peak } = m;
  const v = latest.verdict;
  const prevPeak = Math.max(prev.score?.threat ?? -1, memo?.peak ?? -1);
  const score =
    peak.score.threat > prevPeak
      ? {
          threat: peak.score.threat,
          anomaly: round(peak.score.anomaly),
          impact: round(peak.score.impact),
          confidence: round(peak.score.confidence),
          latest: latest.score.threat,
        }
      : { latest: latest.score.threat };
  const crossedAt: ActionTimes = {};
  for (const [t, at] of Object.entries(m.crossedAt)) crossedAt[t as ActionType] = isoTime(at);
  const addresses = [...new Set([...v.entity.addresses, ...(memo?.addresses ?? prev.addresses ?? [])])].slice(
    0,
    MAX_ADDRESSES,
  );
  const count = Math.max(prev.verdictCount ?? 0, memo?.count ?? 0) + m.count;
  const rules = new Map((prev.alertRules ?? []).map((r) => [r.name, r]));
  for (const r of m.rulesFired) rules.set(r.name, r);
  const lastSeen = Math.max(v.scoredAt, parseTime(prev.lastSeen) ?? 0);
  const status: ThreatIncidentStatus = {
    score,
    ...(Object.keys(crossedAt).length > 0 ? { crossedAt } : {}),
    ...(latest.criticality ? { criticality: latest.criticality } : {}),
    detectors: v.detectors.slice(0, 16).map((d) => ({ detector: d.detector, score: round(d.score) })),
    explanation: {
      summary: v.explanation.summary.slice(0, 4000),
      features: [...v.explanation.features]
        .sort((a, b) => Math.abs(b.deviation) - Math.abs(a.deviation))
        .slice(0, 10)
        .map((f) => ({
          name: f.name,
          value: round(f.value),
          baseline: round(f.baseline),
          deviation: round(f.deviation),
        })),
    },
    ...(latest.prediction
      ? {
          prediction: {
            kind: latest.prediction.kind,
            at: isoTime(latest.prediction.at),
            horizonSeconds: Math.round(latest.prediction.horizonSeconds),
            detail: latest.prediction.detail.slice(0, 1000),
          },
        }
      : {}),
    firstSeen: prev.firstSeen ?? isoTime(m.first.verdict.scoredAt),
    lastSeen: isoTime(lastSeen),
    verdictCount: count,
    lastVerdictId: v.id,
    window: { start: isoTime(v.window.start), end: isoTime(v.window.end) },
    addresses,
    targets: v.targets
      .slice(0, 16)
      .map((t) => ({ address: t.address, flows: Math.round(t.flows), bytes: Math.round(t.bytes) })),
    models: Object.fromEntries(Object.entries(v.models).map(([k, n]) => [k, Math.round(n)])),
    ...(rules.size > 0 ? { alertRules: [...rules.values()].slice(-32) } : {}),
  };
  // A merge patch keeps what it does not mention: a forecast that no longer holds must be removed.
  if (!latest.prediction && prev.prediction) (status as Record<string, unknown>).prediction = null;
  return { status, memo: { peak: Math.max(prevPeak, peak.score.threat), count, addresses } };
}
