/**
 * Custom alert rules as the store keeps them, evaluated on every scored window: a window
 * qualifies when its entity matches the rule's glob, its explanation names the rule's feature
 * (when set), and the rule's metric — a score (threat under the policy, anomaly, impact,
 * confidence, one detector's) or traffic (flows, bytes in the window) — reaches the threshold.
 * `count` qualifying windows within `windowSeconds` fire the rule, which then counts afresh
 * (the controller's AlertRuleWindows semantics, with the extra metrics and entity globs).
 */
import type { StoredAlertRule } from '../../detector/store/alert-rule-store.js';
import type { FeatureRow } from '../../detector/store/types.js';
import type { Verdict } from '../../detector/scoring/verdict.js';

export interface WindowFacts {
  row: FeatureRow;
  verdict: Verdict;
  /** Threat under the policy (its weights and criticality). */
  threat: number;
}

export interface RuleHit {
  rule: StoredAlertRule;
  value: number;
  at: number;
}

/** `*` matches any run of characters; everything else literally. */
export function globMatch(glob: string, text: string): boolean {
  const re = new RegExp(
    `^${glob
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(text);
}

export function metricValue(metric: string, f: WindowFacts): number | undefined {
  switch (metric) {
    case 'threat':
      return f.threat;
    case 'anomaly':
    case 'impact':
    case 'confidence':
      return f.verdict.scores[metric];
    case 'flows':
      return f.row.flows;
    case 'bytes':
      return f.row.bytes;
    default:
      if (metric.startsWith('detector:')) {
        const name = metric.slice('detector:'.length);
        return f.verdict.detectors.find((d) => d.detector === name)?.score;
      }
      return undefined;
  }
}

export class RuleWindows {
  private readonly hits = new Map<string, number[]>();

  /** Counts the window for each rule it qualifies for; returns the rules it made fire. */
  observe(rules: readonly StoredAlertRule[], f: WindowFacts): RuleHit[] {
    const fired: RuleHit[] = [];
    const at = f.verdict.scoredAt;
    for (const rule of rules) {
      if (rule.entity && !globMatch(rule.entity, f.row.entity)) continue;
      if (rule.feature && !f.verdict.explanation.features.some((x) => x.name === rule.feature)) continue;
      const value = metricValue(rule.metric, f);
      if (value === undefined || value < rule.threshold) continue;
      const key = `${rule.id}|${f.row.kind}:${f.row.entity}`;
      const since = at - rule.windowSeconds * 1000;
      const times = (this.hits.get(key) ?? []).filter((t) => t > since);
      times.push(at);
      if (times.length >= rule.count) {
        fired.push({ rule, value, at });
        this.hits.delete(key);
      } else this.hits.set(key, times);
    }
    if (this.hits.size > 100_000) this.hits.clear();
    return fired;
  }

  /** Forgets counts of rules that changed or went away. */
  forget(ruleIdPrefix: string): void {
    for (const k of [...this.hits.keys()]) if (k.startsWith(`${ruleIdPrefix}|`)) this.hits.delete(k);
  }
}
