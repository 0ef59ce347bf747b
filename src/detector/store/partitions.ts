/**
 * Time partitions of the partitioned tables: native declarative range partitions of
 * `partitionDays` days, aligned on UTC midnights counted from the epoch and named
 * `<table>_pYYYYMMDD` after their first day.
 *
 * - On demand: before a write, `ensureFor` creates the partitions the write's timestamps fall in.
 *   Known ranges are cached, so a write into existing partitions costs no query. Creation runs
 *   outside the write's transaction (CREATE … PARTITION OF locks the parent table) and tolerates
 *   another replica creating the same partition at the same moment.
 * - Ahead: `ensureAhead` creates the partitions covering now … now + partitionsAhead intervals.
 * - Retention: `dropOlderThan` drops whole partitions that end at or before a cutoff.
 */
import { ForesightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { quoteIdent, type Db } from './db.js';
import { isTransientDbError } from './pg-errors.js';

export const DAY_MS = 86_400_000;

/** Partitioned tables, their time column and which retention setting applies to them. */
export const PARTITIONED_TABLES = {
  features: { column: 'window_start', retention: 'features' },
  flows: { column: 'ts', retention: 'flows' },
  verdicts: { column: 'window_end', retention: 'verdicts' },
} as const;

export type PartitionedTable = keyof typeof PARTITIONED_TABLES;

export interface Range {
  from: number; // epoch ms, inclusive
  to: number; // epoch ms, exclusive
}

export interface PartitionInfo extends Range {
  name: string;
}

/** The aligned range of `days` days that contains `ms`. */
export function alignedRange(ms: number, days: number): Range {
  const len = days * DAY_MS;
  const from = Math.floor(ms / len) * len;
  return { from, to: from + len };
}

/** `features_p20110816` */
export function partitionName(table: string, fromMs: number): string {
  const iso = new Date(fromMs).toISOString();
  return `${table}_p${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`;
}

export function covering(known: readonly Range[], ms: number): Range | undefined {
  return known.find((r) => r.from <= ms && ms < r.to);
}

/**
 * Shrinks `wanted` (which contains `ms`) so it overlaps no known range: existing partitions made
 * with another partitionDays setting stay as they are and the new one fills the gap beside them.
 */
export function clipRange(wanted: Range, known: readonly Range[], ms: number): Range {
  let { from, to } = wanted;
  for (const r of known) {
    if (r.to <= ms && r.to > from) from = r.to;
    if (r.from > ms && r.from < to) to = r.from;
  }
  return { from, to };
}

interface CatalogRow {
  name: string;
  from_ms: number;
  to_ms: number;
}

export class Partitions {
  private readonly cache = new Map<string, PartitionInfo[]>();

  constructor(
    private readonly db: Db,
    private readonly options: { partitionDays: number; partitionsAhead: number; logger: Logger },
  ) {}

  /** The table's partitions from the catalog, oldest first; refreshes the cache. */
  async list(table: PartitionedTable): Promise<PartitionInfo[]> {
    // Bounds are read back as text by pg_get_expr; casting them in the same session (TimeZone
    // UTC) is exact. MINVALUE/MAXVALUE and DEFAULT partitions don't match and are left alone.
    const { rows } = await this.db.query<CatalogRow>(
      `SELECT c.relname AS name,
              (extract(epoch FROM b[1]::timestamptz) * 1000)::float8 AS from_ms,
              (extract(epoch FROM b[2]::timestamptz) * 1000)::float8 AS to_ms
         FROM pg_inherits i
         JOIN pg_class c ON c.oid = i.inhrelid
         JOIN pg_class p ON p.oid = i.inhparent
         JOIN pg_namespace n ON n.oid = p.relnamespace
         CROSS JOIN LATERAL regexp_match(pg_get_expr(c.relpartbound, c.oid),
                                         'FROM \\(''([^'']+)''\\) TO \\(''([^'']+)''\\)') AS b
        WHERE n.nspname = $1 AND p.relname = $2
        ORDER BY 2`,
      [this.db.schema, table],
    );
    const parts = rows.map((r) => ({ name: r.name, from: r.from_ms, to: r.to_ms }));
    this.cache.set(table, parts);
    return parts;
  }

  /** Forget what is known about `table` (after a write found a partition missing). */
  invalidate(table: PartitionedTable): void {
    this.cache.delete(table);
  }

  /** Creates the partitions that `times` (epoch ms) fall into; returns the names created. */
  async ensureFor(table: PartitionedTable, times: Iterable<number>): Promise<string[]> {
    let known = this.cache.get(table) ?? (await this.list(table));
    const days = this.options.partitionDays;
    // One representative per aligned range that some partition does not already cover whole:
    // a batch of windows usually touches one or two days, so this loop is short.
    const missing = new Map<number, number>();
    const fullyCovered = new Set<number>();
    for (const ms of times) {
      const aligned = alignedRange(ms, days);
      if (fullyCovered.has(aligned.from)) continue;
      const hit = covering(known, ms);
      if (hit && hit.from <= aligned.from && hit.to >= aligned.to) fullyCovered.add(aligned.from);
      else if (!hit && !missing.has(ms)) missing.set(ms, ms);
    }
    const created: string[] = [];
    for (const ms of missing.values()) {
      if (covering(known, ms)) continue; // created for an earlier time of this batch
      const name = await this.create(table, ms, known);
      if (name) created.push(name);
      known = this.cache.get(table) ?? [];
    }
    return created;
  }

  /** Partitions for now … now + partitionsAhead intervals. */
  async ensureAhead(table: PartitionedTable, nowMs: number): Promise<string[]> {
    const len = this.options.partitionDays * DAY_MS;
    const times: number[] = [];
    for (let i = 0; i <= this.options.partitionsAhead; i++) times.push(nowMs + i * len);
    return this.ensureFor(table, times);
  }

  /** Drops every partition that ends at or before `cutoffMs`; returns their names. */
  async dropOlderThan(table: PartitionedTable, cutoffMs: number): Promise<string[]> {
    const parts = await this.list(table);
    const dropped: string[] = [];
    for (const p of parts) {
      if (p.to > cutoffMs) continue;
      // IF EXISTS: another replica's retention pass may have dropped it a moment ago.
      await this.db.exec(`DROP TABLE IF EXISTS ${quoteIdent(`${this.db.schema}.${p.name}`)}`);
      dropped.push(p.name);
    }
    if (dropped.length > 0) {
      this.cache.set(
        table,
        parts.filter((p) => !dropped.includes(p.name)),
      );
      this.options.logger.info(`retention dropped ${dropped.length} partition(s) of ${table}`, { dropped });
    }
    return dropped;
  }

  /**
   * End of the newest partition holding any row, or undefined for an empty table. Retention
   * measures age from here rather than from the clock, so replaying old data does not drop it.
   * Asking "any row?" per partition is an index-free LIMIT 1, cheap even on large partitions.
   */
  async newestDataEnd(table: PartitionedTable): Promise<number | undefined> {
    const parts = await this.list(table);
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i]!;
      const { rows } = await this.db.query(
        `SELECT 1 FROM ${quoteIdent(`${this.db.schema}.${p.name}`)} LIMIT 1`,
      );
      if (rows.length > 0) return p.to;
    }
    return undefined;
  }

  private async create(
    table: PartitionedTable,
    ms: number,
    known: readonly Range[],
  ): Promise<string | undefined> {
    const range = clipRange(alignedRange(ms, this.options.partitionDays), known, ms);
    const name = partitionName(table, range.from);
    const qualified = quoteIdent(`${this.db.schema}.${name}`);
    const parent = quoteIdent(`${this.db.schema}.${table}`);
    // Bounds are literals built from numbers here, not user input; DDL takes no parameters.
    const from = new Date(range.from).toISOString();
    const to = new Date(range.to).toISOString();
    try {
      await this.db.exec(
        `CREATE TABLE IF NOT EXISTS ${qualified} PARTITION OF ${parent} FOR VALUES FROM ('${from}') TO ('${to}')`,
      );
    } catch (err) {
      // A lost connection stays what it is, so the caller's retry recognises it.
      if (isTransientDbError(err)) throw err;
      // A concurrent creator (duplicate name, catalog unique index, or an overlap with the
      // partition it just made): fine if the time is now covered.
      const parts = await this.list(table);
      if (covering(parts, ms)) return undefined;
      throw new ForesightError('store-partition', `cannot create partition ${name} of ${table}`, {
        cause: err,
      });
    }
    const parts = await this.list(table);
    if (!covering(parts, ms)) {
      throw new ForesightError('store-partition', `partition ${name} of ${table} does not cover ${from}`);
    }
    return name;
  }
}
