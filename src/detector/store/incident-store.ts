/**
 * Incidents kept in the store, shaped like ThreatIncident objects (spec written by the analyst,
 * status by the engine), for deployments without a cluster: the demo's Monitor engine writes
 * them, the dashboard reads them and writes analyst answers into their spec. Columns beside the
 * jsonb (phase, threat, entity, times) are what lists filter and sort on.
 */
import { ForesightError } from '../../errors.js';
import type { ThreatIncidentSpec, ThreatIncidentStatus } from '../../controller/threatpolicy/crd-types.js';
import type { Db } from './db.js';

export interface StoredIncident {
  /** `namespace/name`. */
  key: string;
  /** `namespace/name` of the policy. */
  policy: string;
  spec: ThreatIncidentSpec;
  status: ThreatIncidentStatus;
  createdAt: number;
  updatedAt: number;
}

export interface IncidentQuery {
  /** Only these phases (e.g. Open, Mitigated). */
  phases?: readonly string[];
  entity?: string;
  limit?: number;
}

interface IncidentDbRow {
  key: string;
  policy: string;
  spec: ThreatIncidentSpec;
  status: ThreatIncidentStatus;
  created_at: number;
  updated_at: number;
}

const ms = (c: string) => `(extract(epoch FROM ${c}) * 1000)::float8 AS ${c}`;
const SELECT = `SELECT key, policy, spec, status, ${ms('created_at')}, ${ms('updated_at')} FROM incidents`;

function toIncident(r: IncidentDbRow): StoredIncident {
  return {
    key: r.key,
    policy: r.policy,
    spec: r.spec,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class IncidentStore {
  constructor(private readonly db: Db) {}

  /** Inserts or replaces incidents (spec and status as given). */
  async upsert(incidents: readonly StoredIncident[]): Promise<void> {
    if (incidents.length === 0) return;
    await this.db.query(
      `INSERT INTO incidents (key, policy, entity_kind, entity, phase, threat, spec, status, created_at, updated_at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::real[],
                            $7::jsonb[], $8::jsonb[], $9::timestamptz[], $10::timestamptz[])
       ON CONFLICT (key) DO UPDATE SET phase = EXCLUDED.phase, threat = EXCLUDED.threat, spec = EXCLUDED.spec,
         status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`,
      [
        incidents.map((i) => i.key),
        incidents.map((i) => i.policy),
        incidents.map((i) => i.spec.entity.kind),
        incidents.map((i) => i.spec.entity.key),
        incidents.map((i) => i.status.phase ?? 'Open'),
        incidents.map((i) => i.status.score?.threat ?? 0),
        incidents.map((i) => JSON.stringify(i.spec)),
        incidents.map((i) => JSON.stringify(i.status)),
        incidents.map((i) => new Date(i.createdAt).toISOString()),
        incidents.map((i) => new Date(i.updatedAt).toISOString()),
      ],
    );
  }

  async get(key: string): Promise<StoredIncident> {
    const { rows } = await this.db.query<IncidentDbRow>(`${SELECT} WHERE key = $1`, [key]);
    const row = rows[0];
    if (!row) throw new ForesightError('incident-not-found', `no incident ${key}`);
    return toIncident(row);
  }

  /** Most recently updated first. */
  async list(query: IncidentQuery = {}): Promise<StoredIncident[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    if (query.phases) {
      params.push([...query.phases]);
      clauses.push(`phase = ANY($${params.length}::text[])`);
    }
    if (query.entity) {
      params.push(query.entity);
      clauses.push(`entity = $${params.length}`);
    }
    params.push(Math.max(1, Math.min(query.limit ?? 500, 5000)));
    const { rows } = await this.db.query<IncidentDbRow>(
      `${SELECT} ${clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY updated_at DESC, key LIMIT $${params.length}`,
      params,
    );
    return rows.map(toIncident);
  }

  /** Replaces the analyst's part of an incident. */
  async updateSpec(key: string, spec: ThreatIncidentSpec): Promise<void> {
    const { rowCount } = await this.db.query(`UPDATE incidents SET spec = $2::jsonb WHERE key = $1`, [
      key,
      JSON.stringify(spec),
    ]);
    if (rowCount === 0) throw new ForesightError('incident-not-found', `no incident ${key}`);
  }

  /** Incidents counted by phase. */
  async countByPhase(): Promise<Record<string, number>> {
    const { rows } = await this.db.query<{ phase: string; n: number }>(
      `SELECT phase, count(*)::float8 AS n FROM incidents GROUP BY phase`,
    );
    return Object.fromEntries(rows.map((r) => [r.phase, r.n]));
  }
}
