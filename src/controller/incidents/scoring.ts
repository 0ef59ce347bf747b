/**
 * A verdict's threat under one policy: the policy's weights, and an impact floor from the
 * criticality of what it protects (the policy's own setting, or the foresight.dev/criticality
 * label of the protected pods, then of their namespace). Also which custom alert rules a
 * verdict counts for, and whether its forecast falls inside the policy's horizon. Pure.
 */
import { threatScore, type Verdict } from '../../detector/scoring/verdict.js';
import { LABEL_CRITICALITY, type Pod } from '../k8s/pods.js';
import type { AlertRule, Criticality, PolicyCriticality, ScoreWeights } from '../threatpolicy/crd-types.js';

export const IMPACT_FLOOR: Record<Criticality, number> = { High: 0.8, Medium: 0.5, Low: 0 };
const RANK: Record<Criticality, number> = { Low: 0, Medium: 1, High: 2 };

export function parseCriticality(label: string | undefined): Criticality | undefined {
  switch (label?.toLowerCase()) {
    case 'high':
    case 'critical':
      return 'High';
    case 'medium':
      return 'Medium';
    case 'low':
      return 'Low';
    default:
      return undefined;
  }
}

/** The policy's criticality, or the highest label among the protected pods, then their namespace's. */
export function resolveCriticality(
  setting: PolicyCriticality,
  protectedPods: readonly Pod[],
  namespaceLabels: Readonly<Record<string, string>> | undefined,
): Criticality | undefined {
  if (setting !== 'Auto') return setting;
  let best: Criticality | undefined;
  for (const pod of protectedPods) {
    const c = parseCriticality(pod.metadata?.labels?.[LABEL_CRITICALITY]);
    if (c && (!best || RANK[c] > RANK[best])) best = c;
  }
  return best ?? parseCriticality(namespaceLabels?.[LABEL_CRITICALITY]);
}

export interface PolicyScore {
  threat: number;
  anomaly: number;
  impact: number;
  confidence: number;
}

export function policyScore(
  scores: Verdict['scores'],
  weights: ScoreWeights,
  criticality: Criticality | undefined,
): PolicyScore {
  const impact = Math.max(scores.impact, criticality ? IMPACT_FLOOR[criticality] : 0);
  const parts = { anomaly: scores.anomaly, impact, confidence: scores.confidence };
  return { ...parts, threat: round(threatScore(parts, weights)) };
}

/** The score an alert rule looks at in a verdict, or undefined when the verdict does not qualify. */
export function ruleScore(rule: AlertRule, verdict: Verdict, threat: number): number | undefined {
  if (rule.feature && !verdict.explanation.features.some((f) => f.name === rule.feature)) return undefined;
  if (!rule.detector) return threat;
  return verdict.detectors.find((d) => d.detector === rule.detector)?.score;
}

/** The verdict's prediction when it falls within the horizon (from scoring time). */
export function predictionWithin(verdict: Verdict, horizonSeconds: number): Verdict['prediction'] {
  const p = verdict.prediction;
  if (!p) return undefined;
  return p.at - verdict.scoredAt <= horizonSeconds * 1000 ? p : undefined;
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
