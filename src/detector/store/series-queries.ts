/**
 * Per-minute traffic series for forecasting, read from the features table. Windows slide (60 s
 * windows ending every 10 s), so summing all rows would count each flow six times; a
 * non-overlapping series is the rows whose window starts on a multiple of the window length.
 * Series are dense: a minute without a row had no flows, and reads back as 0.
 *
 * Scopes: one entity; a namespace (every entity of that kind in it); a service (the sum of the
 * entities that make it up, e.g. the workloads behind a Kubernetes Service). Source and
 * destination rows describe the same flows from two sides, so every read is for one kind.
 */
import { ForesightError } from '../../errors.js';
import type { RegularSeries } from '../models/types.js';
import type { Db } from './db.js';
import type { EntityKind } from './types.js';

export type SeriesMetric = 'flows' | 'bytes';

/** Flows and bytes per window-length step, on one grid. */
export interface TrafficSeries {
  startMs: number;
  stepMs: number;
  flows: number[];
  bytes: number[];
}

export interface SeriesRange {
  /** Epoch ms; rounded up to a multiple of the window length. */
  from: number;
  /** Epoch ms, exclusive (on window starts). */
  to: number;
  /** Default `source` for entities and namespaces, `destination` for services. */
  kind?: EntityKind;
  /** Window length of the features table (default 60 000 ms); also the series step. */
  windowMs?: number;
}

export function metricSeries(s: TrafficSeries, metric: SeriesMetric): RegularSeries {
  return { startMs: s.startMs, stepMs: s.stepMs, values: s[metric] };
}

interface SeriesDbRow {
  grp: string;
  t: number;
  flows: number;
  bytes: number;
}

type Scope = { sql: string; value: unknown } | undefined;

function grid(range: SeriesRange): { start: number; step: number; points: number } {
  const step = range.windowMs ?? 60_000;
  if (!(step > 0) || !Number.isInteger(step)) {
    throw new ForesightError(
      'series-bad-range',
      `window length must be a positive integer of ms, got ${step}`,
    );
  }
  const start = Math.ceil(range.from / step) * step;
  const points = Math.max(0, Math.ceil((range.to - start) / step));
  return { start, step, points };
}

async function readGrouped(
  db: Db,
  range: SeriesRange,
  kind: EntityKind,
  groupBy: 'entity' | 'namespace' | null,
  scope: Scope,
): Promise<Map<string, TrafficSeries>> {
  const { start, step, points } = grid(range);
  const out = new Map<string, TrafficSeries>();
  if (points === 0) return out;
  const params: unknown[] = [
    new Date(start).toISOString(),
    new Date(start + points * step).toISOString(),
    kind,
    step,
  ];
  let where = '';
  if (scope) {
    params.push(scope.value);
    where = `AND ${scope.sql.replace('$?', `$${params.length}`)}`;
  }
  const group = groupBy === null ? `''` : groupBy;
  const { rows } = await db.query<SeriesDbRow>(
    `SELECT ${group} AS grp,
            (extract(epoch FROM window_start) * 1000)::float8 AS t,
            sum(flows)::float8 AS flows, sum(bytes)::float8 AS bytes
       FROM features
      WHERE window_start >= $1 AND window_start < $2 AND kind = $3
        AND mod((extract(epoch FROM window_start) * 1000)::bigint, $4::bigint) = 0
        AND (extract(epoch FROM window_end - window_start) * 1000)::bigint = $4::bigint
        ${where}
        ${groupBy === null ? '' : `AND ${groupBy} IS NOT NULL`}
      GROUP BY 1, window_start
      ORDER BY 1, window_start`,
    params,
  );
  for (const r of rows) {
    let s = out.get(r.grp);
    if (!s) {
      s = {
        startMs: start,
        stepMs: step,
        flows: new Array<number>(points).fill(0),
        bytes: new Array<number>(points).fill(0),
      };
      out.set(r.grp, s);
    }
    const i = Math.round((r.t - start) / step);
    s.flows[i] = r.flows;
    s.bytes[i] = r.bytes;
  }
  return out;
}

function single(found: Map<string, TrafficSeries>, range: SeriesRange): TrafficSeries {
  const s = found.get('');
  if (s) return s;
  const { start, step, points } = grid(range);
  return {
    startMs: start,
    stepMs: step,
    flows: new Array<number>(points).fill(0),
    bytes: new Array<number>(points).fill(0),
  };
}

/** One entity's series (`<namespace>/<workload>` or `ip:<token>`). */
export async function readEntitySeries(db: Db, entity: string, range: SeriesRange): Promise<TrafficSeries> {
  const found = await readGrouped(db, range, range.kind ?? 'source', null, {
    sql: 'entity = $?',
    value: entity,
  });
  return single(found, range);
}

/** Sum over the entities of one kind in a namespace. */
export async function readNamespaceSeries(
  db: Db,
  namespace: string,
  range: SeriesRange,
): Promise<TrafficSeries> {
  const found = await readGrouped(db, range, range.kind ?? 'source', null, {
    sql: 'namespace = $?',
    value: namespace,
  });
  return single(found, range);
}

/** Sum over a service's entities (destination kind unless the range says otherwise). */
export async function readServiceSeries(
  db: Db,
  entities: readonly string[],
  range: SeriesRange,
): Promise<TrafficSeries> {
  if (entities.length === 0) return single(new Map(), range);
  const found = await readGrouped(db, range, range.kind ?? 'destination', null, {
    sql: 'entity = ANY($?::text[])',
    value: [...entities],
  });
  return single(found, range);
}

/** What a forecast target names (scoring/forecaster.ts `ForecastTarget`). */
export interface SeriesTarget {
  scope: 'entity' | 'namespace' | 'service';
  key: string;
  metric: SeriesMetric;
  kind?: EntityKind;
}

/** One forecast target's series, as training reads it and scoring sums it from the rows it sees. */
export async function readTargetSeries(
  db: Db,
  target: SeriesTarget,
  range: SeriesRange,
): Promise<RegularSeries> {
  const r = { ...range, kind: target.kind ?? (target.scope === 'service' ? 'destination' : 'source') };
  const series =
    target.scope === 'namespace'
      ? await readNamespaceSeries(db, target.key, r)
      : target.scope === 'service'
        ? await readServiceSeries(db, [target.key], r)
        : await readEntitySeries(db, target.key, r);
  return metricSeries(series, target.metric);
}

/** Every entity of a kind with any traffic in the range, each on the same grid (for training). */
export function readAllEntitySeries(db: Db, range: SeriesRange): Promise<Map<string, TrafficSeries>> {
  return readGrouped(db, range, range.kind ?? 'source', 'entity', undefined);
}

/** Every namespace with traffic of a kind in the range. */
export function readAllNamespaceSeries(db: Db, range: SeriesRange): Promise<Map<string, TrafficSeries>> {
  return readGrouped(db, range, range.kind ?? 'source', 'namespace', undefined);
}
