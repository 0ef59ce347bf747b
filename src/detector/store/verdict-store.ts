/**
 * The verdicts repository: stores the verdict records the scoring service publishes (the whole
 * record as jsonb plus the columns queries filter on) and reads them back for the dashboard,
 * evaluation and tests. Writes are idempotent on (id, window_end): a window scored again by the
 * same models (a replay) is the same verdict and is not stored twice.
 */
import type { Verdict } from '../scoring/verdict.js';
import type { Db } from './db.js';
import type { Partitions } from './partitions.js';
import type { EntityKind } from './types.js';

const COLUMNS = [
  'id',
  'kind',
  'entity',
  'namespace',
  'workload',
  'window_start',
  'window_end',
  'scored_at',
  'anomaly',
  'impact',
  'confidence',
  'threat',
  'record',
] as const;

export interface VerdictQuery {
  from?: number;
  to?: number;
  entity?: string;
  kind?: EntityKind;
  minThreat?: number;
  limit?: number;
}

export class VerdictStore {
  constructor(
    private readonly db: Db,
    private readonly partitions: Partitions,
  ) {}

  /** Stores verdicts in one transaction; returns how many were new. */
  async write(verdicts: readonly Verdict[]): Promise<number> {
    if (verdicts.length === 0) return 0;
    await this.partitions.ensureFor(
      'verdicts',
      verdicts.map((v) => v.window.end),
    );
    return this.db.transaction(async (tx) => {
      await tx.exec(
        `CREATE TEMP TABLE verdicts_stage ON COMMIT DROP AS SELECT ${COLUMNS.join(', ')} FROM verdicts WITH NO DATA`,
      );
      await this.db.copyRows(
        tx,
        'verdicts_stage',
        COLUMNS,
        verdicts.map((v) => [
          v.id,
          v.entity.kind,
          v.entity.key,
          v.entity.namespace ?? null,
          v.entity.workload ?? null,
          new Date(v.window.start),
          new Date(v.window.end),
          new Date(v.scoredAt),
          v.scores.anomaly,
          v.scores.impact,
          v.scores.confidence,
          v.scores.threat,
          JSON.stringify(v),
        ]),
      );
      const { rowCount } = await tx.query(
        `INSERT INTO verdicts (${COLUMNS.join(', ')})
         SELECT DISTINCT ON (id, window_end) ${COLUMNS.join(', ')} FROM verdicts_stage
         ON CONFLICT (id, window_end) DO NOTHING`,
      );
      return rowCount;
    });
  }

  /** Verdict records by window end, oldest first. */
  async read(query: VerdictQuery = {}): Promise<Verdict[]> {
    const clauses: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      clauses.push(sql.replace('$?', `$${params.length}`));
    };
    if (query.from !== undefined) add('window_end >= $?', new Date(query.from).toISOString());
    if (query.to !== undefined) add('window_end < $?', new Date(query.to).toISOString());
    if (query.entity !== undefined) add('entity = $?', query.entity);
    if (query.kind !== undefined) add('kind = $?', query.kind);
    if (query.minThreat !== undefined) add('threat >= $?', query.minThreat);
    let limit = '';
    if (query.limit !== undefined) {
      params.push(Math.max(0, Math.floor(query.limit)));
      limit = `LIMIT $${params.length}`;
    }
    const { rows } = await this.db.query<{ record: Verdict }>(
      `SELECT record FROM verdicts ${clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : ''}
        ORDER BY window_end, id ${limit}`,
      params,
    );
    return rows.map((r) => r.record);
  }
}
