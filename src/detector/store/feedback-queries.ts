/**
 * Analyst feedback and per-entity threshold offsets in the store. Feedback rows are written by
 * the controller (ThreatIncident verdicts) and the dashboard through training/feedback.ts; the
 * trainer reads them to shape its training set and marks them consumed. An entity's offset is
 * how much its anomaly must exceed the usual bar (raised by false positives, bounded).
 */
import type { Queryable } from './db.js';
import type { EntityKind } from './types.js';

export type AnalystVerdict = 'TruePositive' | 'FalsePositive';

export interface FeedbackInput {
  /** The ThreatIncident (`namespace/name`) or dashboard incident judged. */
  incident: string;
  kind: EntityKind;
  entity: string;
  /** The span the incident covers; absent: the verdict is about the entity as a whole. */
  windowStart?: number;
  windowEnd?: number;
  verdict: AnalystVerdict;
  analyst?: string;
  note?: string;
}

export interface FeedbackRow extends FeedbackInput {
  id: number;
  createdAt: number;
  consumedAt?: number;
}

interface FeedbackDbRow {
  id: string | number;
  incident: string;
  kind: EntityKind;
  entity: string;
  window_start: number | null;
  window_end: number | null;
  verdict: AnalystVerdict;
  analyst: string | null;
  note: string | null;
  created_at: number;
  consumed_at: number | null;
}

const ms = (c: string) => `(extract(epoch FROM ${c}) * 1000)::float8 AS ${c}`;
const COLUMNS = `id, incident, kind, entity, ${ms('window_start')}, ${ms('window_end')}, verdict, analyst, note,
  ${ms('created_at')}, ${ms('consumed_at')}`;

function toRow(r: FeedbackDbRow): FeedbackRow {
  const row: FeedbackRow = {
    id: Number(r.id),
    incident: r.incident,
    kind: r.kind,
    entity: r.entity,
    verdict: r.verdict,
    createdAt: r.created_at,
  };
  if (r.window_start !== null) row.windowStart = r.window_start;
  if (r.window_end !== null) row.windowEnd = r.window_end;
  if (r.analyst !== null) row.analyst = r.analyst;
  if (r.note !== null) row.note = r.note;
  if (r.consumed_at !== null) row.consumedAt = r.consumed_at;
  return row;
}

const iso = (t: number | undefined) => (t === undefined ? null : new Date(t).toISOString());

/** Inserts feedback; undefined when the same verdict on the same incident was already recorded. */
export async function insertFeedback(q: Queryable, f: FeedbackInput): Promise<number | undefined> {
  const { rows } = await q.query<{ id: string | number }>(
    `INSERT INTO feedback (incident, kind, entity, window_start, window_end, verdict, analyst, note)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (incident, verdict) DO NOTHING
     RETURNING id`,
    [
      f.incident,
      f.kind,
      f.entity,
      iso(f.windowStart),
      iso(f.windowEnd),
      f.verdict,
      f.analyst ?? null,
      f.note ?? null,
    ],
  );
  return rows[0] === undefined ? undefined : Number(rows[0].id);
}

/**
 * The effective feedback: per incident only its latest verdict (an analyst may change their
 * mind), oldest first.
 */
export async function listFeedback(
  q: Queryable,
  options: { unconsumedOnly?: boolean } = {},
): Promise<FeedbackRow[]> {
  const { rows } = await q.query<FeedbackDbRow>(
    `SELECT ${COLUMNS} FROM (
       SELECT DISTINCT ON (incident) * FROM feedback ORDER BY incident, created_at DESC, id DESC
     ) latest
     ${options.unconsumedOnly ? 'WHERE consumed_at IS NULL' : ''}
     ORDER BY created_at, id`,
  );
  return rows.map(toRow);
}

/** Feedback no training run has taken into account yet. */
export async function countUnconsumedFeedback(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: number }>(
    `SELECT count(*)::float8 AS n FROM feedback WHERE consumed_at IS NULL`,
  );
  return rows[0]?.n ?? 0;
}

export async function markFeedbackConsumed(q: Queryable, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await q.query(`UPDATE feedback SET consumed_at = now() WHERE id = ANY($1::bigint[])`, [[...ids]]);
}

/** Adds `delta` to an entity's offset, kept within [0, max]; returns the new offset. */
export async function adjustThresholdOffset(
  q: Queryable,
  kind: EntityKind,
  entity: string,
  delta: number,
  max: number,
  reason: string,
): Promise<number> {
  const { rows } = await q.query<{ offset_: number }>(
    `INSERT INTO entity_thresholds (kind, entity, offset_, reason, updated_at)
     VALUES ($1, $2, least($4::real, greatest(0::real, $3::real)), $5, now())
     ON CONFLICT (kind, entity) DO UPDATE
       SET offset_ = least($4::real, greatest(0::real, entity_thresholds.offset_ + $3::real)),
           reason = EXCLUDED.reason, updated_at = now()
     RETURNING offset_`,
    [kind, entity, delta, max, reason],
  );
  return rows[0]?.offset_ ?? 0;
}

/** Sets an entity's offset (0 removes the raise). */
export async function setThresholdOffset(
  q: Queryable,
  kind: EntityKind,
  entity: string,
  offset: number,
  reason: string,
): Promise<void> {
  await q.query(
    `INSERT INTO entity_thresholds (kind, entity, offset_, reason, updated_at) VALUES ($1, $2, $3, $4, now())
     ON CONFLICT (kind, entity) DO UPDATE SET offset_ = EXCLUDED.offset_, reason = EXCLUDED.reason, updated_at = now()`,
    [kind, entity, offset, reason],
  );
}

/**
 * Every entity's threshold offset, keyed `<kind>:<entity>`: the larger of its `entity_thresholds`
 * row (written by recordFeedback, or set by hand) and what its feedback implies — `step` per
 * incident whose latest verdict is FalsePositive since its latest TruePositive, at most `max`.
 * Deriving it from the feedback table too means feedback written by other processes (the
 * controller inserts rows for ThreatIncident verdicts) raises the bar as well.
 */
export async function loadThresholdOffsets(
  q: Queryable,
  options: { step: number; max: number },
): Promise<Map<string, number>> {
  const { rows } = await q.query<{ kind: EntityKind; entity: string; offset_: number }>(
    `WITH latest AS (
       SELECT DISTINCT ON (incident) kind, entity, verdict, created_at FROM feedback
        ORDER BY incident, created_at DESC, id DESC
     ), last_tp AS (
       SELECT kind, entity, max(created_at) AS t FROM latest WHERE verdict = 'TruePositive' GROUP BY kind, entity
     ), derived AS (
       SELECT l.kind, l.entity, least($2::float8, $1::float8 * count(*)) AS offset_
         FROM latest l LEFT JOIN last_tp p ON p.kind = l.kind AND p.entity = l.entity
        WHERE l.verdict = 'FalsePositive' AND (p.t IS NULL OR l.created_at > p.t)
        GROUP BY l.kind, l.entity
     )
     SELECT kind, entity, max(offset_)::float8 AS offset_ FROM (
       SELECT kind, entity, offset_ FROM derived
       UNION ALL SELECT kind, entity, offset_::float8 FROM entity_thresholds
     ) o GROUP BY kind, entity HAVING max(offset_) > 0`,
    [options.step, options.max],
  );
  return new Map(rows.map((r) => [offsetKey(r.kind, r.entity), r.offset_]));
}

export function offsetKey(kind: EntityKind, entity: string): string {
  return `${kind}:${entity}`;
}
