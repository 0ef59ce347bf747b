/**
 * The `flows` table: an optional, short-lived sample of anonymized flow records for
 * investigation (an incident shows a sample of its entity's flows). Rows are written with COPY
 * into the time-partitioned table; retention is by dropping partitions (FeatureStore) or, for
 * short demo spans, by deleting rows older than a cutoff.
 */
import type { FlowRecord } from '../../flows/flow-record.js';
import type { Db } from './db.js';
import type { Partitions } from './partitions.js';

/** One anonymized flow with the entities it was counted for. */
export interface SampledFlow {
  flow: FlowRecord;
  srcEntity?: string;
  dstEntity?: string;
}

export interface StoredFlow {
  ts: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  proto: number;
  action: 'allow' | 'deny';
  bytes?: number;
  packets?: number;
  durationMs?: number;
  outcome?: string;
  srcEntity?: string;
  dstEntity?: string;
}

const COLUMNS = [
  'ts',
  'src',
  'dst',
  'src_port',
  'dst_port',
  'proto',
  'action',
  'bytes',
  'packets',
  'duration_ms',
  'outcome',
  'src_entity',
  'dst_entity',
] as const;

interface FlowDbRow {
  ts: number;
  src: string;
  dst: string;
  src_port: number | null;
  dst_port: number | null;
  proto: number;
  action: 'allow' | 'deny';
  bytes: number | null;
  packets: number | null;
  duration_ms: number | null;
  outcome: string | null;
  src_entity: string | null;
  dst_entity: string | null;
}

export class FlowSampleStore {
  constructor(
    private readonly db: Db,
    private readonly partitions: Partitions,
  ) {}

  /** Stores anonymized flows; returns how many. */
  async write(sample: readonly SampledFlow[]): Promise<number> {
    if (sample.length === 0) return 0;
    await this.partitions.ensureFor(
      'flows',
      sample.map((s) => s.flow.ts),
    );
    return this.db.transaction((tx) =>
      this.db.copyRows(
        tx,
        'flows',
        COLUMNS,
        sample.map(({ flow: f, srcEntity, dstEntity }) => [
          new Date(f.ts),
          f.src,
          f.dst,
          f.srcPort ?? null,
          f.dstPort ?? null,
          f.proto,
          f.action,
          f.bytes ?? null,
          f.packets ?? null,
          f.durationMs ?? null,
          f.outcome ?? null,
          srcEntity ?? null,
          dstEntity ?? null,
        ]),
      ),
    );
  }

  /** An entity's flows (as source or destination) in [from, to), newest first. */
  async forEntity(
    entity: string,
    range: { from: number; to: number; limit?: number },
  ): Promise<StoredFlow[]> {
    const { rows } = await this.db.query<FlowDbRow>(
      `SELECT (extract(epoch FROM ts) * 1000)::float8 AS ts, src, dst, src_port, dst_port, proto, action,
              bytes::float8 AS bytes, packets::float8 AS packets, duration_ms, outcome, src_entity, dst_entity
         FROM flows
        WHERE ts >= $2 AND ts < $3 AND (src_entity = $1 OR dst_entity = $1)
        ORDER BY ts DESC LIMIT $4`,
      [entity, new Date(range.from).toISOString(), new Date(range.to).toISOString(), range.limit ?? 100],
    );
    return rows.map((r) => {
      const out: StoredFlow = { ts: r.ts, src: r.src, dst: r.dst, proto: r.proto, action: r.action };
      if (r.src_port !== null) out.srcPort = r.src_port;
      if (r.dst_port !== null) out.dstPort = r.dst_port;
      if (r.bytes !== null) out.bytes = r.bytes;
      if (r.packets !== null) out.packets = r.packets;
      if (r.duration_ms !== null) out.durationMs = r.duration_ms;
      if (r.outcome !== null) out.outcome = r.outcome;
      if (r.src_entity !== null) out.srcEntity = r.src_entity;
      if (r.dst_entity !== null) out.dstEntity = r.dst_entity;
      return out;
    });
  }

  /** Deletes rows older than `before` (epoch ms); returns how many. */
  async deleteBefore(before: number): Promise<number> {
    const { rowCount } = await this.db.query(`DELETE FROM flows WHERE ts < $1`, [
      new Date(before).toISOString(),
    ]);
    return rowCount;
  }
}
