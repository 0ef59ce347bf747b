/**
 * The features repository: makes window batches durable and reads them back. A batch (feature
 * rows, newly seen peers, the consumer's watermark) is written in ONE transaction, so after a
 * crash either all of it is there or none, and the consumer acks its messages only afterwards.
 *
 * Writes are idempotent: redelivered flows rebuild the same windows, and writing a row again
 * replaces it (never adds to it). Rows identical to what is stored are not touched at all.
 */
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { counter, histogram, type Registry } from '../../observability/metrics.js';
import { systemClock, type Clock } from '../../util/backoff.js';
import type { StoreConfig } from './connect.js';
import type { Db, Tx } from './db.js';
import { readFeatureRows, countFeatureRows } from './feature-queries.js';
import { migrate, type MigrateResult } from './migrate.js';
import { DAY_MS, PARTITIONED_TABLES, Partitions, type PartitionedTable } from './partitions.js';
import type { FeatureQuery, FeatureRow, IngestCheckpoint, PeerSeen, WindowBatch } from './types.js';

export interface FeatureStoreOptions {
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  /** close() closes the Db too (default). False when other repositories share it. */
  ownsDb?: boolean;
}

export interface WriteResult {
  /** Feature rows inserted or changed (identical rewrites are not counted). */
  rows: number;
  peers: number;
}

export interface RetentionResult {
  dropped: string[];
  peersDeleted: number;
}

/** Staging columns, in COPY order; must match stageValues(). */
const STAGE_COLUMNS = [
  'kind',
  'entity',
  'window_start',
  'window_end',
  'schema_version',
  'vector',
  'flows',
  'bytes',
  'namespace',
  'workload',
  'addresses',
  'top_peers',
  'malicious_flows',
  'contacts_first_ok',
  'contacts_first_failed',
] as const;

const UPDATED = STAGE_COLUMNS.filter((c) => !['kind', 'entity', 'window_start'].includes(c));

const UPSERT_SQL = `
INSERT INTO features (${STAGE_COLUMNS.join(', ')})
SELECT ${STAGE_COLUMNS.join(', ')} FROM features_stage
ON CONFLICT (kind, entity, window_start) DO UPDATE SET
  ${UPDATED.map((c) => `${c} = EXCLUDED.${c}`).join(',\n  ')},
  written_at = now()
WHERE (${UPDATED.map((c) => `features.${c}`).join(', ')})
      IS DISTINCT FROM (${UPDATED.map((c) => `EXCLUDED.${c}`).join(', ')})`;

function stageValues(r: FeatureRow): unknown[] {
  return [
    r.kind,
    r.entity,
    new Date(r.windowStart),
    new Date(r.windowEnd),
    r.schemaVersion,
    encodeVector(r.vector),
    r.flows,
    r.bytes,
    r.namespace ?? null,
    r.workload ?? null,
    r.addresses,
    // JSON text: a JS array would be encoded as a PostgreSQL array literal.
    JSON.stringify(r.topPeers),
    r.maliciousFlows,
    r.contacts?.firstOk ?? 0,
    r.contacts?.firstFailed ?? 0,
  ];
}

/** Last row wins per key: one INSERT … ON CONFLICT DO UPDATE may not touch a row twice. */
function dedupe(rows: readonly FeatureRow[]): FeatureRow[] {
  const byKey = new Map<string, FeatureRow>();
  for (const r of rows) byKey.set(`${r.kind}\u0000${r.entity}\u0000${r.windowStart}`, r);
  return [...byKey.values()];
}

/** Feature vectors are stored as little-endian float32 bytes. */
export function encodeVector(v: readonly number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(v).buffer);
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: unknown }).code === '23505';
}

function isMissingPartition(err: unknown): boolean {
  // 23514 check_violation: "no partition of relation … found for row"
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23514';
}

export class FeatureStore {
  readonly partitions: Partitions;
  private readonly clock: Clock;
  private readonly writeSeconds;
  private readonly rowsWritten;
  private readonly errors;
  private timer: NodeJS.Timeout | undefined;
  private maintaining: Promise<unknown> | undefined;

  constructor(
    readonly db: Db,
    private readonly config: StoreConfig,
    private readonly options: FeatureStoreOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.partitions = new Partitions(db, {
      partitionDays: config.partitionDays,
      partitionsAhead: config.partitionsAhead,
      logger: options.logger,
    });
    const { registry } = options;
    this.writeSeconds = histogram(
      registry,
      'foresight_store_write_seconds',
      'Time to make one window batch durable',
    );
    this.rowsWritten = counter(
      registry,
      'foresight_store_rows_written_total',
      'Rows inserted or changed in the store',
      ['table'],
    );
    this.errors = counter(registry, 'foresight_store_errors_total', 'Failed store operations', ['op']);
  }

  /** Brings the schema up to date and creates the partitions ahead of now. */
  async migrate(): Promise<MigrateResult> {
    const result = await this.track('migrate', () => migrate(this.db, this.options.logger));
    await this.ensurePartitionsAhead();
    return result;
  }

  async ensurePartitionsAhead(nowMs = this.clock.now()): Promise<void> {
    for (const table of Object.keys(PARTITIONED_TABLES) as PartitionedTable[]) {
      await this.partitions.ensureAhead(table, nowMs);
    }
  }

  async writeWindows(batch: WindowBatch): Promise<WriteResult> {
    const rows = dedupe(batch.rows);
    if (rows.length === 0 && batch.newPeers.length === 0 && !batch.checkpoints?.length)
      return { rows: 0, peers: 0 };
    const stopTimer = this.writeSeconds.startTimer();
    try {
      await this.partitions.ensureFor(
        'features',
        rows.map((r) => r.windowStart),
      );
      let result: WriteResult;
      try {
        result = await this.db.transaction((tx) => this.writeInTx(tx, rows, batch));
      } catch (err) {
        if (!isMissingPartition(err)) throw err;
        // Our cache said a partition existed that another replica's retention has dropped.
        this.partitions.invalidate('features');
        await this.partitions.ensureFor(
          'features',
          rows.map((r) => r.windowStart),
        );
        result = await this.db.transaction((tx) => this.writeInTx(tx, rows, batch));
      }
      this.rowsWritten.inc({ table: 'features' }, result.rows);
      this.rowsWritten.inc({ table: 'peer_seen' }, result.peers);
      if (batch.checkpoints) this.rowsWritten.inc({ table: 'ingest_checkpoints' }, batch.checkpoints.length);
      return result;
    } catch (err) {
      this.errors.inc({ op: 'write' });
      throw err;
    } finally {
      stopTimer();
    }
  }

  private async writeInTx(tx: Tx, rows: readonly FeatureRow[], batch: WindowBatch): Promise<WriteResult> {
    let written = 0;
    if (rows.length > 0) {
      const values = rows.map(stageValues);
      // Fast path: a detector emits each window once, so rows are normally new and go straight
      // in with COPY. A row that exists (a re-read after a restart) fails the whole COPY on the
      // key; then the batch goes through the idempotent staging upsert instead.
      await tx.exec('SAVEPOINT features_copy');
      try {
        await this.db.copyRows(tx, 'features', STAGE_COLUMNS, values);
        await tx.exec('RELEASE SAVEPOINT features_copy');
        written = rows.length;
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        await tx.exec('ROLLBACK TO SAVEPOINT features_copy');
        // Same column types as features, no constraints: the checks run once, on the real insert.
        await tx.exec(
          `CREATE TEMP TABLE features_stage ON COMMIT DROP AS SELECT ${STAGE_COLUMNS.join(', ')} FROM features WITH NO DATA`,
        );
        await this.db.copyRows(tx, 'features_stage', STAGE_COLUMNS, values);
        written = (await tx.query(UPSERT_SQL)).rowCount;
      }
    }
    let peers = 0;
    if (batch.newPeers.length > 0) {
      const p = batch.newPeers;
      peers = (
        await tx.query(
          `INSERT INTO peer_seen (kind, entity, peer, service, first_seen)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
           ON CONFLICT (kind, entity, peer, service) DO NOTHING`,
          [
            p.map((x) => x.kind),
            p.map((x) => x.entity),
            p.map((x) => x.peer),
            p.map((x) => x.service ?? ''),
            p.map((x) => new Date(x.firstSeen).toISOString()),
          ],
        )
      ).rowCount;
    }
    for (const cp of batch.checkpoints ?? []) {
      // Only forwards: a late or replayed batch must never move a consumer back.
      await tx.query(
        `INSERT INTO ingest_checkpoints (consumer, watermark, resume_seq, last_seq, updated_at)
         VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (consumer) DO UPDATE
         SET watermark = EXCLUDED.watermark, resume_seq = EXCLUDED.resume_seq,
             last_seq = EXCLUDED.last_seq, updated_at = now()
         WHERE EXCLUDED.watermark >= ingest_checkpoints.watermark
           AND EXCLUDED.last_seq >= ingest_checkpoints.last_seq`,
        [cp.consumer, new Date(cp.watermark).toISOString(), cp.resumeSeq, cp.lastSeq],
      );
    }
    return { rows: written, peers };
  }

  /** Where the consumer stood at its last durable flush, or undefined before its first. */
  async loadCheckpoint(consumer: string): Promise<IngestCheckpoint | undefined> {
    const { rows } = await this.track('read', () =>
      this.db.query<{ ms: number; resume_seq: string; last_seq: string }>(
        `SELECT (extract(epoch FROM watermark) * 1000)::float8 AS ms, resume_seq, last_seq
           FROM ingest_checkpoints WHERE consumer = $1`,
        [consumer],
      ),
    );
    const row = rows[0];
    if (!row) return undefined;
    return { consumer, watermark: row.ms, resumeSeq: Number(row.resume_seq), lastSeq: Number(row.last_seq) };
  }

  /**
   * Every (entity, peer) and (entity, service) first seen at or after `sinceMs`, to rebuild peer
   * and first-contact history on restart.
   */
  async loadPeerHistory(sinceMs: number): Promise<PeerSeen[]> {
    const { rows } = await this.track('read', () =>
      this.db.query<{ kind: PeerSeen['kind']; entity: string; peer: string; service: string; ms: number }>(
        `SELECT kind, entity, peer, service, (extract(epoch FROM first_seen) * 1000)::float8 AS ms
           FROM peer_seen WHERE first_seen >= $1 ORDER BY first_seen, kind, entity, peer, service`,
        [new Date(sinceMs).toISOString()],
      ),
    );
    return rows.map((r) => ({
      kind: r.kind,
      entity: r.entity,
      peer: r.peer,
      ...(r.service === '' ? {} : { service: r.service }),
      firstSeen: r.ms,
    }));
  }

  readFeatures(query: FeatureQuery = {}): Promise<FeatureRow[]> {
    return this.track('read', () => readFeatureRows(this.db, query));
  }

  countFeatures(query: FeatureQuery = {}): Promise<number> {
    return this.track('read', () => countFeatureRows(this.db, query));
  }

  /**
   * Drops partitions older than each table's retention, measured back from the newest data in
   * that table (or from now, if that is earlier or the table is empty), and deletes peer_seen
   * rows past their retention measured from the newest features.
   */
  async applyRetention(nowMs = this.clock.now()): Promise<RetentionResult> {
    return this.track('retention', async () => {
      const dropped: string[] = [];
      let featuresReference = nowMs;
      for (const table of Object.keys(PARTITIONED_TABLES) as PartitionedTable[]) {
        const newest = await this.partitions.newestDataEnd(table);
        const reference = Math.min(nowMs, newest ?? nowMs);
        if (table === 'features') featuresReference = reference;
        const days = this.config.retentionDays[PARTITIONED_TABLES[table].retention];
        dropped.push(...(await this.partitions.dropOlderThan(table, reference - days * DAY_MS)));
      }
      const peerCutoff = featuresReference - this.config.retentionDays.peerSeen * DAY_MS;
      const { rowCount } = await this.db.query('DELETE FROM peer_seen WHERE first_seen < $1', [
        new Date(peerCutoff).toISOString(),
      ]);
      return { dropped, peersDeleted: rowCount };
    });
  }

  /** Partitions ahead and retention now, then every `intervalMs` until close(). */
  startMaintenance(intervalMs = this.config.maintenanceIntervalSeconds * 1000): void {
    if (this.timer) return;
    const run = () => {
      if (this.maintaining) return; // a slow pass is still running: skip this tick
      this.maintaining = this.ensurePartitionsAhead()
        .then(() => this.applyRetention())
        .catch((err: unknown) => {
          this.options.logger.warn(`store maintenance failed: ${errorMessage(err)}`);
        })
        .finally(() => {
          this.maintaining = undefined;
        });
    };
    run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.maintaining; // never close the pool under a running pass
    if (this.options.ownsDb ?? true) await this.db.close();
  }

  private async track<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      this.errors.inc({ op });
      throw err;
    }
  }
}
