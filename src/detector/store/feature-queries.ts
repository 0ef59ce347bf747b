/**
 * Reading feature rows back: the SQL for FeatureQuery filters and the mapping from columns to
 * FeatureRow. Timestamps and bigints are converted to float8 in SQL so both drivers hand back
 * plain numbers (pg would give Date and string, PGlite Date and number).
 */
import type { Db } from './db.js';
import type { ContactCounts, EntityKind, FeatureQuery, FeatureRow } from './types.js';

/** A features row as both drivers return it for `SELECT_FEATURES`. */
export interface FeatureDbRow {
  kind: EntityKind;
  entity: string;
  window_start: number;
  window_end: number;
  schema_version: number;
  vector: Uint8Array;
  flows: number;
  bytes: number;
  namespace: string | null;
  workload: string | null;
  addresses: string[];
  top_peers: FeatureRow['topPeers'];
  malicious_flows: number;
  contacts_first_ok: number;
  contacts_first_failed: number;
}

/** WHERE clause and parameters; built from fixed fragments, values always as parameters. */
function where(query: FeatureQuery): { sql: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (fragment: (p: string) => string, value: unknown) => {
    params.push(value);
    clauses.push(fragment(`$${params.length}`));
  };
  // Range conditions on the partition key itself, so the planner prunes partitions.
  if (query.from !== undefined) add((p) => `window_start >= ${p}`, new Date(query.from).toISOString());
  if (query.to !== undefined) add((p) => `window_start < ${p}`, new Date(query.to).toISOString());
  if (query.kind !== undefined) add((p) => `kind = ${p}`, query.kind);
  if (query.entity !== undefined) add((p) => `entity = ${p}`, query.entity);
  return { sql: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

/** Little-endian float32 bytes (the column's encoding) back to numbers. */
export function decodeVector(bytes: Uint8Array): number[] {
  const copy = new Uint8Array(bytes); // aligned, detached from the driver's buffer
  return Array.from(new Float32Array(copy.buffer, 0, copy.byteLength >> 2));
}

/** The contact columns as a row's `contacts` (absent when all zero, as the aggregator emits it). */
export function contactCounts(r: {
  contacts_first_ok: number;
  contacts_first_failed: number;
}): ContactCounts | undefined {
  if (r.contacts_first_ok === 0 && r.contacts_first_failed === 0) return undefined;
  return { firstOk: r.contacts_first_ok, firstFailed: r.contacts_first_failed };
}

/** The columns of a FeatureRow, times and bigints as float8 (`… FROM features` follows). */
export const SELECT_FEATURES = `SELECT kind, entity,
  (extract(epoch FROM window_start) * 1000)::float8 AS window_start,
  (extract(epoch FROM window_end) * 1000)::float8 AS window_end,
  schema_version, vector, flows, bytes::float8 AS bytes, namespace, workload, addresses, top_peers,
  malicious_flows, contacts_first_ok, contacts_first_failed FROM features`;

export function toFeatureRow(r: FeatureDbRow): FeatureRow {
  const row: FeatureRow = {
    kind: r.kind,
    entity: r.entity,
    windowStart: r.window_start,
    windowEnd: r.window_end,
    schemaVersion: r.schema_version,
    vector: decodeVector(r.vector),
    flows: r.flows,
    bytes: r.bytes,
    addresses: r.addresses,
    topPeers: r.top_peers,
    maliciousFlows: r.malicious_flows,
  };
  const contacts = contactCounts(r);
  if (contacts) row.contacts = contacts;
  if (r.namespace !== null) row.namespace = r.namespace;
  if (r.workload !== null) row.workload = r.workload;
  return row;
}

/** Rows matching `query`, ordered by window_start, entity (then kind). */
export async function readFeatureRows(db: Db, query: FeatureQuery): Promise<FeatureRow[]> {
  const { sql, params } = where(query);
  let limit = '';
  if (query.limit !== undefined) {
    params.push(Math.max(0, Math.floor(query.limit)));
    limit = `LIMIT $${params.length}`;
  }
  const { rows } = await db.query<FeatureDbRow>(
    `${SELECT_FEATURES} ${sql} ORDER BY window_start, entity, kind ${limit}`,
    params,
  );
  return rows.map(toFeatureRow);
}

export async function countFeatureRows(db: Db, query: FeatureQuery): Promise<number> {
  const { sql, params } = where(query);
  const { rows } = await db.query<{ n: number }>(`SELECT count(*)::float8 AS n FROM features ${sql}`, params);
  return rows[0]?.n ?? 0;
}
