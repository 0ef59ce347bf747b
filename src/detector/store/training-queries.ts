/**
 * Reads for training and scoring that the features repository does not offer: the newest rows of
 * a span (training keeps the most recent history when there is more than it can use), one
 * entity's windows in a span (feedback), the busiest entities (forecast targets), and how many
 * windows each entity had before a time (history length for confidence).
 */
import type { Db } from './db.js';
import { SELECT_FEATURES, toFeatureRow, type FeatureDbRow } from './feature-queries.js';
import type { EntityKind, FeatureRow } from './types.js';

const iso = (t: number) => new Date(t).toISOString();

/** The newest `limit` rows of a schema version with from ≤ window_start < to, oldest first. */
export async function readRecentRows(
  db: Db,
  range: { from: number; to: number; schemaVersion: number; limit: number },
): Promise<FeatureRow[]> {
  const { rows } = await db.query<FeatureDbRow>(
    `${SELECT_FEATURES} WHERE window_start >= $1 AND window_start < $2 AND schema_version = $3
      ORDER BY window_start DESC, entity DESC, kind DESC LIMIT $4`,
    [iso(range.from), iso(range.to), range.schemaVersion, range.limit],
  );
  return rows.reverse().map(toFeatureRow);
}

/** One entity's windows overlapping [from, to) (any time when absent). */
export async function readEntityWindows(
  db: Db,
  kind: EntityKind,
  entity: string,
  span: { from?: number; to?: number; schemaVersion: number },
): Promise<FeatureRow[]> {
  const params: unknown[] = [kind, entity, span.schemaVersion];
  let where = '';
  if (span.from !== undefined) {
    params.push(iso(span.from));
    where += ` AND window_end > $${params.length}`;
  }
  if (span.to !== undefined) {
    params.push(iso(span.to));
    where += ` AND window_start < $${params.length}`;
  }
  const { rows } = await db.query<FeatureDbRow>(
    `${SELECT_FEATURES} WHERE kind = $1 AND entity = $2 AND schema_version = $3 ${where} ORDER BY window_start`,
    params,
  );
  return rows.map(toFeatureRow);
}

/** End of the newest window in the store (undefined when empty). */
export async function newestWindowEnd(db: Db): Promise<number | undefined> {
  const { rows } = await db.query<{ ms: number | null }>(
    `SELECT (extract(epoch FROM max(window_end)) * 1000)::float8 AS ms FROM features`,
  );
  return rows[0]?.ms ?? undefined;
}

/** Entities of a kind by flows in [from, to), busiest first (non-overlapping windows only). */
export async function busiestEntities(
  db: Db,
  range: {
    from: number;
    to: number;
    kind: EntityKind;
    windowMs: number;
    limit: number;
    workloadsOnly?: boolean;
  },
): Promise<{ entity: string; namespace?: string; flows: number }[]> {
  const { rows } = await db.query<{ entity: string; namespace: string | null; flows: number }>(
    `SELECT entity, max(namespace) AS namespace, sum(flows)::float8 AS flows FROM features
      WHERE window_start >= $1 AND window_start < $2 AND kind = $3
        AND mod((extract(epoch FROM window_start) * 1000)::bigint, $4::bigint) = 0
        ${range.workloadsOnly ? 'AND namespace IS NOT NULL' : ''}
      GROUP BY entity ORDER BY 3 DESC, entity LIMIT $5`,
    [iso(range.from), iso(range.to), range.kind, range.windowMs, range.limit],
  );
  return rows.map((r) => ({
    entity: r.entity,
    ...(r.namespace ? { namespace: r.namespace } : {}),
    flows: r.flows,
  }));
}

/** Windows per entity (`<kind>:<entity>`) with since ≤ window_start < before, capped at `cap`. */
export async function countEntityHistory(
  db: Db,
  entities: readonly { kind: EntityKind; entity: string }[],
  range: { since: number; before: number; cap: number },
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (entities.length === 0) return out;
  const { rows } = await db.query<{ kind: EntityKind; entity: string; n: number }>(
    `SELECT kind, entity, least(count(*), $5)::float8 AS n FROM features
      WHERE entity = ANY($1::text[]) AND window_start >= $3 AND window_start < $4
        AND kind = ANY($2::text[])
      GROUP BY kind, entity`,
    [
      [...new Set(entities.map((e) => e.entity))],
      [...new Set(entities.map((e) => e.kind))],
      iso(range.since),
      iso(range.before),
      range.cap,
    ],
  );
  for (const r of rows) out.set(`${r.kind}:${r.entity}`, r.n);
  return out;
}

/** One stored row's first contacts (scan test, docs/adr/0015). */
export interface StoredFirstContacts {
  windowEnd: number;
  firstOk: number;
  firstFailed: number;
}

/**
 * First contacts of source entities in rows with since ≤ window_start and window_end < before,
 * per entity in window-end order (only rows that have any).
 */
export async function readFirstContacts(
  db: Db,
  entities: readonly string[],
  range: { since: number; before: number },
): Promise<Map<string, StoredFirstContacts[]>> {
  const out = new Map<string, StoredFirstContacts[]>();
  if (entities.length === 0) return out;
  const { rows } = await db.query<{ entity: string; end: number; ok: number; failed: number }>(
    `SELECT entity, (extract(epoch FROM window_end) * 1000)::float8 AS end,
            contacts_first_ok AS ok, contacts_first_failed AS failed
       FROM features
      WHERE kind = 'source' AND entity = ANY($1::text[]) AND window_start >= $2 AND window_end < $3
        AND (contacts_first_ok > 0 OR contacts_first_failed > 0)
      ORDER BY entity, window_end`,
    [[...new Set(entities)], iso(range.since), iso(range.before)],
  );
  for (const r of rows) {
    const list = out.get(r.entity) ?? [];
    list.push({ windowEnd: r.end, firstOk: r.ok, firstFailed: r.failed });
    out.set(r.entity, list);
  }
  return out;
}
