/**
 * Custom alert rules kept in the store (the demo, and any deployment without ThreatPolicy
 * objects), and the firings they produced. A rule is named by its policy and name
 * (`<namespace>/<policy>/<name>`), the same id the dashboard uses for rules in a ThreatPolicy.
 */
import { ForesightError } from '../../errors.js';
import type { Db, Queryable } from './db.js';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export interface AlertRuleInput {
  /** `namespace/name` of the policy the rule belongs to. */
  policy: string;
  name: string;
  /** Glob over entity keys (`shop/*`, `ip:*`); absent: every entity the policy covers. */
  entity?: string;
  /** `threat`, `anomaly`, `impact`, `confidence`, `detector:<name>`, `flows` or `bytes`. */
  metric: string;
  /** Only verdicts whose explanation names this feature count. */
  feature?: string;
  threshold: number;
  /** Qualifying windows needed within `windowSeconds`. */
  count: number;
  windowSeconds: number;
  severity: AlertSeverity;
}

export interface StoredAlertRule extends AlertRuleInput {
  id: string;
  createdAt: number;
  updatedAt: number;
  firings: number;
  lastFiredAt?: number;
}

export interface AlertFiring {
  rule: string;
  entity: string;
  incident?: string;
  value: number;
  firedAt: number;
}

interface RuleDbRow {
  id: string | number;
  policy: string;
  name: string;
  entity: string | null;
  metric: string;
  feature: string | null;
  threshold: number;
  count: number;
  window_seconds: number;
  severity: AlertSeverity;
  created_at: number;
  updated_at: number;
  firings: number;
  last_fired_at: number | null;
}

const ms = (c: string) => `(extract(epoch FROM ${c}) * 1000)::float8`;

const SELECT = `SELECT r.id, r.policy, r.name, r.entity, r.metric, r.feature, r.threshold, r.count, r.window_seconds,
  r.severity, ${ms('r.created_at')} AS created_at, ${ms('r.updated_at')} AS updated_at,
  (SELECT count(*)::float8 FROM alert_firings f WHERE f.rule_id = r.id) AS firings,
  (SELECT ${ms('max(f.fired_at)')} FROM alert_firings f WHERE f.rule_id = r.id) AS last_fired_at
  FROM alert_rules r`;

export function ruleId(policy: string, name: string): string {
  return `${policy}/${name}`;
}

function toRule(r: RuleDbRow): StoredAlertRule {
  const rule: StoredAlertRule = {
    id: ruleId(r.policy, r.name),
    policy: r.policy,
    name: r.name,
    metric: r.metric,
    threshold: r.threshold,
    count: r.count,
    windowSeconds: r.window_seconds,
    severity: r.severity,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    firings: r.firings,
  };
  if (r.entity !== null) rule.entity = r.entity;
  if (r.feature !== null) rule.feature = r.feature;
  if (r.last_fired_at !== null) rule.lastFiredAt = r.last_fired_at;
  return rule;
}

function splitId(id: string): { policy: string; name: string } {
  const cut = id.lastIndexOf('/');
  if (cut <= 0) throw new ForesightError('rule-not-found', `no alert rule ${id}`);
  return { policy: id.slice(0, cut), name: id.slice(cut + 1) };
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === '23505';
}

const values = (r: AlertRuleInput) => [
  r.policy,
  r.name,
  r.entity ?? null,
  r.metric,
  r.feature ?? null,
  r.threshold,
  r.count,
  r.windowSeconds,
  r.severity,
];

export class AlertRuleStore {
  constructor(private readonly db: Db) {}

  async list(): Promise<StoredAlertRule[]> {
    const { rows } = await this.db.query<RuleDbRow>(`${SELECT} ORDER BY r.policy, r.name`);
    return rows.map(toRule);
  }

  async get(id: string): Promise<StoredAlertRule> {
    const { policy, name } = splitId(id);
    const { rows } = await this.db.query<RuleDbRow>(`${SELECT} WHERE r.policy = $1 AND r.name = $2`, [
      policy,
      name,
    ]);
    const row = rows[0];
    if (!row) throw new ForesightError('rule-not-found', `no alert rule ${id}`);
    return toRule(row);
  }

  async create(rule: AlertRuleInput): Promise<StoredAlertRule> {
    try {
      await this.db.query(
        `INSERT INTO alert_rules (policy, name, entity, metric, feature, threshold, count, window_seconds, severity)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        values(rule),
      );
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ForesightError(
          'rule-exists',
          `policy ${rule.policy} already has a rule named ${rule.name}`,
        );
      }
      throw err;
    }
    return this.get(ruleId(rule.policy, rule.name));
  }

  /** Replaces a rule (it may be renamed or moved to another policy); its firings stay with it. */
  async update(id: string, rule: AlertRuleInput): Promise<StoredAlertRule> {
    const { policy, name } = splitId(id);
    let count: number;
    try {
      ({ rowCount: count } = await this.db.query(
        `UPDATE alert_rules SET policy = $1, name = $2, entity = $3, metric = $4, feature = $5, threshold = $6,
                count = $7, window_seconds = $8, severity = $9, updated_at = now()
          WHERE policy = $10 AND name = $11`,
        [...values(rule), policy, name],
      ));
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw new ForesightError(
          'rule-exists',
          `policy ${rule.policy} already has a rule named ${rule.name}`,
        );
      }
      throw err;
    }
    if (count === 0) throw new ForesightError('rule-not-found', `no alert rule ${id}`);
    return this.get(ruleId(rule.policy, rule.name));
  }

  async delete(id: string): Promise<void> {
    const { policy, name } = splitId(id);
    const { rowCount } = await this.db.query(`DELETE FROM alert_rules WHERE policy = $1 AND name = $2`, [
      policy,
      name,
    ]);
    if (rowCount === 0) throw new ForesightError('rule-not-found', `no alert rule ${id}`);
  }

  async recordFirings(firings: readonly AlertFiring[], q: Queryable = this.db): Promise<void> {
    for (const f of firings) {
      const { policy, name } = splitId(f.rule);
      await q.query(
        `INSERT INTO alert_firings (rule_id, entity, incident, value, fired_at)
         SELECT id, $3, $4, $5, $6 FROM alert_rules WHERE policy = $1 AND name = $2`,
        [policy, name, f.entity, f.incident ?? null, f.value, new Date(f.firedAt).toISOString()],
      );
    }
  }

  /** The latest firings, newest first. */
  async recentFirings(limit = 50): Promise<AlertFiring[]> {
    const { rows } = await this.db.query<{
      policy: string;
      name: string;
      entity: string;
      incident: string | null;
      value: number;
      fired_at: number;
    }>(
      `SELECT r.policy, r.name, f.entity, f.incident, f.value, ${ms('f.fired_at')} AS fired_at
         FROM alert_firings f JOIN alert_rules r ON r.id = f.rule_id
        ORDER BY f.fired_at DESC, f.id DESC LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      rule: ruleId(r.policy, r.name),
      entity: r.entity,
      ...(r.incident === null ? {} : { incident: r.incident }),
      value: r.value,
      firedAt: r.fired_at,
    }));
  }
}
