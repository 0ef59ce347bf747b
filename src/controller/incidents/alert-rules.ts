/**
 * Custom alert rules: "at least `count` qualifying verdicts within `windowSeconds`". Counts are
 * kept per policy, rule and entity in memory (a restart starts the windows afresh: an alert
 * rule is a heuristic, not a record). A rule fires once per filled window, then counts anew.
 */
import type { Verdict } from '../../detector/scoring/verdict.js';
import type { AlertRule, FiredAlertRule } from '../threatpolicy/crd-types.js';
import { isoTime } from '../k8s/conditions.js';
import { ruleScore } from './scoring.js';

const MAX_KEYS = 100_000;

export class AlertRuleWindows {
  private readonly hits = new Map<string, number[]>();

  /** Counts the verdict for each rule it qualifies for; returns the rules it made fire. */
  observe(
    policyKey: string,
    rules: readonly AlertRule[],
    entity: string,
    verdict: Verdict,
    threat: number,
  ): FiredAlertRule[] {
    const fired: FiredAlertRule[] = [];
    const at = verdict.scoredAt;
    for (const rule of rules) {
      const score = ruleScore(rule, verdict, threat);
      if (score === undefined || score < rule.minScore) continue;
      const key = `${policyKey}|${rule.name}|${entity}`;
      const since = at - rule.windowSeconds * 1000;
      const times = (this.hits.get(key) ?? []).filter((t) => t > since);
      times.push(at);
      if (times.length >= rule.count) {
        fired.push({ name: rule.name, severity: rule.severity, firedAt: isoTime(at) });
        this.hits.delete(key);
      } else {
        this.hits.set(key, times);
      }
    }
    if (this.hits.size > MAX_KEYS) this.prune(at);
    return fired;
  }

  private prune(now: number): void {
    // Windows are at most a day: anything older can go.
    for (const [k, times] of this.hits)
      if ((times[times.length - 1] ?? 0) < now - 86_400_000) this.hits.delete(k);
  }
}
