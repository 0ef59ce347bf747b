/**
 * The controller's repository: the audit log of action decisions (`actions`) and the analyst
 * feedback forwarded for retraining (`feedback`, through the trainer's recordFeedback). Both writes are idempotent — audit rows by
 * their deterministic key (migration 3), feedback by (incident, verdict) — because the
 * controller repeats them after a crash rather than risk losing them.
 */
import { recordFeedback, type FeedbackOptions } from '../training/feedback.js';
import type { Db } from './db.js';
import type { EntityKind } from './types.js';

export type AuditAction = 'Alert' | 'RateLimit' | 'Block' | 'Quarantine';

export interface ActionRecord {
  /** Deterministic: incident, action, state and the time it entered that state. */
  key: string;
  at: number;
  /** `namespace/name` of the ThreatPolicy. */
  policy: string;
  /** `namespace/name` of the ThreatIncident. */
  incident: string;
  entity: string;
  action: AuditAction;
  mode: 'Monitor' | 'Enforce';
  /** applied, intended, pending-approval, refused, expired, reverted. */
  outcome: string;
  detail: Record<string, unknown>;
}

export interface FeedbackRecord {
  incident: string;
  kind: EntityKind;
  entity: string;
  windowStart?: number;
  windowEnd?: number;
  verdict: 'TruePositive' | 'FalsePositive';
  analyst?: string;
  note?: string;
}

export class ControllerAuditStore {
  /** `feedback`: how a false positive raises the entity's bar (config scoring.thresholds). */
  constructor(
    private readonly db: Db,
    private readonly feedback: FeedbackOptions = {},
  ) {}

  /** Inserts the rows not recorded yet; returns how many were new. */
  async recordActions(rows: readonly ActionRecord[]): Promise<number> {
    if (rows.length === 0) return 0;
    const result = await this.db.query(
      `INSERT INTO actions (key, at, policy, incident, entity, action, mode, outcome, detail)
       SELECT key, at, policy, incident, entity, action, mode, outcome, detail::jsonb
         FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::text[], $9::text[])
           AS r(key, at, policy, incident, entity, action, mode, outcome, detail)
       ON CONFLICT (key) WHERE key IS NOT NULL DO NOTHING`,
      [
        rows.map((r) => r.key),
        rows.map((r) => new Date(r.at).toISOString()),
        rows.map((r) => r.policy),
        rows.map((r) => r.incident),
        rows.map((r) => r.entity),
        rows.map((r) => r.action),
        rows.map((r) => r.mode),
        rows.map((r) => r.outcome),
        rows.map((r) => JSON.stringify(r.detail)),
      ],
    );
    return result.rowCount;
  }

  /**
   * Records the analyst's verdict once per incident and verdict, with the same immediate effect
   * as feedback given anywhere else (a false positive raises the entity's threshold offset);
   * true when it was new.
   */
  async recordFeedback(f: FeedbackRecord): Promise<boolean> {
    return (await recordFeedback(this.db, f, this.feedback)).recorded;
  }

  async actionsFor(incident: string): Promise<ActionRecord[]> {
    const result = await this.db.query<{
      key: string | null;
      at: Date | string;
      policy: string;
      incident: string;
      entity: string;
      action: AuditAction;
      mode: 'Monitor' | 'Enforce';
      outcome: string;
      detail: Record<string, unknown> | string;
    }>(
      `SELECT key, at, policy, incident, entity, action, mode, outcome, detail
         FROM actions WHERE incident = $1 ORDER BY at, id`,
      [incident],
    );
    return result.rows.map((r) => ({
      key: r.key ?? '',
      at: new Date(r.at).getTime(),
      policy: r.policy,
      incident: r.incident,
      entity: r.entity,
      action: r.action,
      mode: r.mode,
      outcome: r.outcome,
      detail: typeof r.detail === 'string' ? (JSON.parse(r.detail) as Record<string, unknown>) : r.detail,
    }));
  }

  async feedbackFor(incident: string): Promise<FeedbackRecord[]> {
    const result = await this.db.query<{
      incident: string;
      kind: EntityKind;
      entity: string;
      verdict: FeedbackRecord['verdict'];
      note: string | null;
    }>('SELECT incident, kind, entity, verdict, note FROM feedback WHERE incident = $1 ORDER BY id', [
      incident,
    ]);
    return result.rows.map((r) => ({
      incident: r.incident,
      kind: r.kind,
      entity: r.entity,
      verdict: r.verdict,
      ...(r.note ? { note: r.note } : {}),
    }));
  }
}
