/**
 * Reads for the dashboard that the other repositories do not offer: cluster-wide traffic per
 * step, the busiest talkers, score summaries per step from the verdicts, and the connection
 * graph over a span. Like series-queries.ts, traffic reads only non-overlapping windows (start on
 * a multiple of the window length), so sliding windows are not counted six times.
 */
import type { Db } from './db.js';
import type { EntityKind } from './types.js';

export interface Span {
  from: number;
  to: number;
  /** Window length of the features table (default 60 000 ms). */
  windowMs?: number;
}

export interface StepSeries {
  /** Step start times, epoch ms. */
  t: number[];
  flows: number[];
  bytes: number[];
}

export interface ScoreStep {
  t: number[];
  threat: (number | null)[];
  anomaly: (number | null)[];
  /** Verdicts at or above `alertAt` in the step. */
  alerts: number[];
}

export interface Talker {
  entity: string;
  kind: EntityKind;
  namespace?: string;
  flows: number;
  bytes: number;
  maxThreat: number;
}

export interface GraphNode {
  id: string;
  namespace?: string;
  /** Flows sent plus flows received in the span. */
  flows: number;
  maxThreat: number;
  external: boolean;
}

export interface GraphEdge {
  source: string;
  target: string;
  flows: number;
  bytes: number;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Edges left out beyond the limit (the smallest by flows). */
  truncated: number;
}

const iso = (t: number) => new Date(t).toISOString();
const ALIGNED = `mod((extract(epoch FROM window_start) * 1000)::bigint, $3::bigint) = 0
  AND (extract(epoch FROM window_end - window_start) * 1000)::bigint = $3::bigint`;

function grid(span: Span, stepMs: number): number[] {
  const start = Math.ceil(span.from / stepMs) * stepMs;
  const out: number[] = [];
  for (let t = start; t < span.to; t += stepMs) out.push(t);
  return out;
}

/** Flows and bytes of every source entity together, one point per window length. */
export async function clusterTraffic(db: Db, span: Span): Promise<StepSeries> {
  const step = span.windowMs ?? 60_000;
  const t = grid(span, step);
  const { rows } = await db.query<{ t: number; flows: number; bytes: number }>(
    `SELECT (extract(epoch FROM window_start) * 1000)::float8 AS t, sum(flows)::float8 AS flows,
            sum(bytes)::float8 AS bytes
       FROM features
      WHERE window_start >= $1 AND window_start < $2 AND kind = 'source' AND ${ALIGNED}
      GROUP BY window_start`,
    [iso(span.from), iso(span.to), step],
  );
  const index = new Map(t.map((x, i) => [x, i]));
  const flows = new Array<number>(t.length).fill(0);
  const bytes = new Array<number>(t.length).fill(0);
  for (const r of rows) {
    const i = index.get(r.t);
    if (i === undefined) continue;
    flows[i] = r.flows;
    bytes[i] = r.bytes;
  }
  return { t, flows, bytes };
}

/** Highest threat and anomaly among stored verdicts per step (null: no verdict was stored). */
export async function scoreSteps(
  db: Db,
  span: Span & { stepMs: number; alertAt: number },
): Promise<ScoreStep> {
  const t = grid(span, span.stepMs);
  const { rows } = await db.query<{ b: number; threat: number; anomaly: number; alerts: number }>(
    `SELECT floor((extract(epoch FROM window_end) * 1000) / $3)::float8 * $3 AS b,
            max(threat)::float8 AS threat, max(anomaly)::float8 AS anomaly,
            count(*) FILTER (WHERE threat >= $4)::float8 AS alerts
       FROM verdicts WHERE window_end >= $1 AND window_end < $2
      GROUP BY 1`,
    [iso(span.from), iso(span.to), span.stepMs, span.alertAt],
  );
  const index = new Map(t.map((x, i) => [x, i]));
  const out: ScoreStep = {
    t,
    threat: new Array<number | null>(t.length).fill(null),
    anomaly: new Array<number | null>(t.length).fill(null),
    alerts: new Array<number>(t.length).fill(0),
  };
  for (const r of rows) {
    const i = index.get(r.b);
    if (i === undefined) continue;
    out.threat[i] = r.threat;
    out.anomaly[i] = r.anomaly;
    out.alerts[i] = r.alerts;
  }
  return out;
}

/** Highest verdict threat per entity in the span. */
export async function maxThreats(
  db: Db,
  span: Span,
  entities?: readonly string[],
): Promise<Map<string, number>> {
  const params: unknown[] = [iso(span.from), iso(span.to)];
  if (entities) params.push([...entities]);
  const { rows } = await db.query<{ entity: string; threat: number }>(
    `SELECT entity, max(threat)::float8 AS threat FROM verdicts
      WHERE window_end >= $1 AND window_end < $2 ${entities ? 'AND entity = ANY($3::text[])' : ''}
      GROUP BY entity`,
    params,
  );
  return new Map(rows.map((r) => [r.entity, r.threat]));
}

/** Source entities by flows sent in the span, busiest first, with their highest threat. */
export async function topTalkers(db: Db, span: Span & { limit: number }): Promise<Talker[]> {
  const { rows } = await db.query<{
    entity: string;
    kind: EntityKind;
    namespace: string | null;
    flows: number;
    bytes: number;
  }>(
    `SELECT entity, kind, max(namespace) AS namespace, sum(flows)::float8 AS flows, sum(bytes)::float8 AS bytes
       FROM features
      WHERE window_start >= $1 AND window_start < $2 AND kind = 'source' AND ${ALIGNED}
      GROUP BY entity, kind ORDER BY flows DESC, entity LIMIT $4`,
    [iso(span.from), iso(span.to), span.windowMs ?? 60_000, span.limit],
  );
  const threats = await maxThreats(
    db,
    span,
    rows.map((r) => r.entity),
  );
  return rows.map((r) => ({
    entity: r.entity,
    kind: r.kind,
    ...(r.namespace === null ? {} : { namespace: r.namespace }),
    flows: r.flows,
    bytes: r.bytes,
    maxThreat: threats.get(r.entity) ?? 0,
  }));
}

/**
 * Who talked to whom in the span: source entities to the entities behind their busiest peers'
 * addresses (an address no entity claims stays a node of its own, `ip:<token>`). Edges are
 * summed over the span; beyond `maxEdges` the smallest are left out.
 */
export async function connectionGraph(db: Db, span: Span & { maxEdges: number }): Promise<Graph> {
  const params = [iso(span.from), iso(span.to), span.windowMs ?? 60_000];
  const [edgeRows, addressRows, nodeRows] = await Promise.all([
    db.query<{ src: string; peer: string; flows: number; bytes: number }>(
      `SELECT f.entity AS src, p->>'peer' AS peer, sum((p->>'flows')::float8) AS flows,
              sum((p->>'bytes')::float8) AS bytes
         FROM features f, jsonb_array_elements(f.top_peers) p
        WHERE f.window_start >= $1 AND f.window_start < $2 AND f.kind = 'source' AND ${ALIGNED}
        GROUP BY 1, 2`,
      params,
    ),
    db.query<{ address: string; entity: string }>(
      `SELECT DISTINCT ON (a) a AS address, entity
         FROM features f, unnest(f.addresses) a
        WHERE f.window_start >= $1 AND f.window_start < $2 AND ${ALIGNED}
        ORDER BY a, (kind = 'destination') DESC, entity`,
      params,
    ),
    db.query<{ entity: string; namespace: string | null; flows: number }>(
      `SELECT entity, max(namespace) AS namespace, sum(flows)::float8 AS flows
         FROM features f
        WHERE f.window_start >= $1 AND f.window_start < $2 AND ${ALIGNED}
        GROUP BY entity`,
      params,
    ),
  ]);
  const owner = new Map(addressRows.rows.map((r) => [r.address, r.entity]));
  const merged = new Map<string, GraphEdge>();
  for (const r of edgeRows.rows) {
    const target =
      owner.get(r.peer) ?? (r.peer.includes('/') || r.peer.startsWith('ip:') ? r.peer : `ip:${r.peer}`);
    if (target === r.src) continue;
    const key = `${r.src}\u0000${target}`;
    const e = merged.get(key);
    if (e) {
      e.flows += r.flows;
      e.bytes += r.bytes;
    } else merged.set(key, { source: r.src, target, flows: r.flows, bytes: r.bytes });
  }
  const info = new Map(nodeRows.rows.map((r) => [r.entity, r]));
  return assembleGraph([...merged.values()], span.maxEdges, info, await maxThreats(db, span));
}

/**
 * The graph from its merged edges: the `maxEdges` busiest, and a node for each entity they touch
 * with its namespace and flows from `info` and its highest threat from `threats`. Shared by the
 * store query above and the dashboard's in-memory rollup (server/graph-rollup.ts).
 */
export function assembleGraph(
  merged: GraphEdge[],
  maxEdges: number,
  info: ReadonlyMap<string, { namespace?: string | null; flows: number }>,
  threats: ReadonlyMap<string, number>,
): Graph {
  const all = merged.sort((a, b) => b.flows - a.flows);
  const edges = all.slice(0, maxEdges);
  const ids = new Set<string>();
  for (const e of edges) {
    ids.add(e.source);
    ids.add(e.target);
  }
  const nodes: GraphNode[] = [...ids].map((id) => {
    const n = info.get(id);
    return {
      id,
      ...(n?.namespace ? { namespace: n.namespace } : {}),
      flows: n?.flows ?? 0,
      maxThreat: threats.get(id) ?? 0,
      external: id.startsWith('ip:'),
    };
  });
  return { nodes, edges, truncated: all.length - edges.length };
}

/** The newest window start in the features table (epoch ms), if any. */
export async function newestWindowEnd(db: Db): Promise<number | undefined> {
  const { rows } = await db.query<{ t: number | null }>(
    `SELECT (extract(epoch FROM max(window_end)) * 1000)::float8 AS t FROM features`,
  );
  return rows[0]?.t ?? undefined;
}
