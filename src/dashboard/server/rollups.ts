/**
 * Rollups for the charts and lists that span an hour: cluster and namespace traffic per step,
 * the highest scores per step, flows per source entity per step and each entity's highest threat.
 * Two ways in:
 * - read from the store: a step is settled once its windows can no longer change (its end is
 *   `settleMs` before now); settled steps are read once and kept, so each request queries only
 *   the newest steps (a cluster deployment, where the detectors write the store);
 * - fed by the writer (the demo worker sends every aligned window and every stored verdict as
 *   it writes them): steps from the first one fed onwards are answered from memory alone,
 *   without a query; so is the connection graph (graph-rollup.ts) over its last six hours.
 * Traffic counts non-overlapping windows only (start on a multiple of the window length, as
 * dashboard-queries.ts); scores are bucketed by the verdict's window end.
 */
import {
  clusterTraffic,
  maxThreats,
  scoreSteps,
  type Graph,
  type ScoreStep,
  type StepSeries,
  type Talker,
} from '../../detector/store/dashboard-queries.js';
import type { Db } from '../../detector/store/db.js';
import { readNamespaceSeries } from '../../detector/store/series-queries.js';
import type { EntityKind } from '../../detector/store/types.js';
import { GraphRollup, type GraphWindow } from './graph-rollup.js';

interface EntityTotals {
  kind: EntityKind;
  namespace?: string;
  flows: number;
  bytes: number;
}

interface ScoreTotals {
  threat: number | null;
  anomaly: number | null;
  alerts: number;
}

/** One aligned window as the writer stored it (source windows count as traffic; all draw the graph). */
export interface FedWindow extends GraphWindow {
  windowEnd: number;
  bytes: number;
}

/** One stored verdict. */
export interface FedVerdict {
  entity: string;
  windowEnd: number;
  threat: number;
  anomaly: number;
}

const KEEP_MS = 7 * 86_400_000;
/** The graph page's longest span (6 hours) and a step. */
const GRAPH_KEEP_MS = 6 * 3_600_000 + 60_000;

/** True for windows that do not overlap: they start on a multiple of their length (the window length). */
export function isAligned(w: { windowStart: number; windowEnd: number }, windowMs: number): boolean {
  return w.windowStart % windowMs === 0 && w.windowEnd - w.windowStart === windowMs;
}

export class Rollups {
  private readonly traffic = new Map<number, { flows: number; bytes: number }>();
  private readonly scores = new Map<number, ScoreTotals>();
  private readonly talkers = new Map<number, Map<string, EntityTotals>>();
  /** Highest verdict threat per entity per step (fed steps only). */
  private readonly threats = new Map<number, Map<string, number>>();
  /** Steps from here on are fed and complete in memory. */
  private fedFrom = Infinity;
  private readonly graphs = new GraphRollup(GRAPH_KEEP_MS);

  constructor(
    private readonly db: Db,
    private readonly windowMs: number,
    /** How long after a step's end its windows and verdicts are final. */
    private readonly settleMs: number,
    private readonly alertAt: number,
  ) {}

  /** Adds windows as they are written (aligned ones count; others are ignored). */
  feedWindows(windows: readonly FedWindow[]): void {
    const rows = windows.filter((w) => isAligned(w, this.windowMs));
    this.graphs.feed(rows);
    for (const r of rows) {
      if (r.kind !== 'source') continue;
      const t = r.windowStart;
      this.fedFrom = Math.min(this.fedFrom, t);
      const step = this.traffic.get(t) ?? { flows: 0, bytes: 0 };
      step.flows += r.flows;
      step.bytes += r.bytes;
      this.traffic.set(t, step);
      let byEntity = this.talkers.get(t);
      if (!byEntity) this.talkers.set(t, (byEntity = new Map<string, EntityTotals>()));
      const cur = byEntity.get(r.entity);
      if (cur) {
        cur.flows += r.flows;
        cur.bytes += r.bytes;
      } else {
        byEntity.set(r.entity, {
          kind: r.kind,
          flows: r.flows,
          bytes: r.bytes,
          ...(r.namespace === undefined ? {} : { namespace: r.namespace }),
        });
      }
    }
    this.trimAll(rows);
  }

  /** Adds verdicts as they are stored. */
  feedVerdicts(verdicts: readonly FedVerdict[]): void {
    for (const v of verdicts) {
      const b = Math.floor(v.windowEnd / this.windowMs) * this.windowMs;
      this.fedFrom = Math.min(this.fedFrom, b);
      const s = this.scores.get(b) ?? { threat: null, anomaly: null, alerts: 0 };
      s.threat = Math.max(s.threat ?? -Infinity, v.threat);
      s.anomaly = Math.max(s.anomaly ?? -Infinity, v.anomaly);
      if (v.threat >= this.alertAt) s.alerts++;
      this.scores.set(b, s);
      let byEntity = this.threats.get(b);
      if (!byEntity) this.threats.set(b, (byEntity = new Map<string, number>()));
      byEntity.set(v.entity, Math.max(byEntity.get(v.entity) ?? -Infinity, v.threat));
    }
    this.trimAll(verdicts);
  }

  private settled(t: number, now: number): boolean {
    return t + this.windowMs + this.settleMs <= now;
  }

  private fed(t: number): boolean {
    return t >= this.fedFrom;
  }

  /** The steps of [from, to). */
  private *steps(from: number, to: number): Generator<number> {
    for (let t = Math.ceil(from / this.windowMs) * this.windowMs; t < to; t += this.windowMs) yield t;
  }

  /** The first step of [from, to) neither kept nor fed, scanning from the start. */
  private firstMissing(cache: Map<number, unknown>, from: number, to: number): number {
    let t = Math.ceil(from / this.windowMs) * this.windowMs;
    while (t < to && (cache.has(t) || this.fed(t))) t += this.windowMs;
    return t;
  }

  /** Where the store must be read for [from, to): from the first missing step up to the fed ones. */
  private storeRange(cache: Map<number, unknown>, from: number, to: number): { from: number; to: number } {
    const missing = this.firstMissing(cache, from, to);
    return { from: missing, to: Math.min(to, Math.max(missing, this.fedFrom)) };
  }

  async clusterTraffic(from: number, to: number, now: number): Promise<StepSeries> {
    const range = this.storeRange(this.traffic, from, to);
    const fresh =
      range.from < range.to
        ? await clusterTraffic(this.db, { ...range, windowMs: this.windowMs })
        : { t: [], flows: [], bytes: [] };
    fresh.t.forEach((t, i) => {
      if (this.settled(t, now)) this.traffic.set(t, { flows: fresh.flows[i]!, bytes: fresh.bytes[i]! });
    });
    const out: StepSeries = { t: [], flows: [], bytes: [] };
    const freshAt = new Map(fresh.t.map((t, i) => [t, i]));
    for (const t of this.steps(from, to)) {
      const i = freshAt.get(t);
      const v = i === undefined ? this.traffic.get(t) : { flows: fresh.flows[i]!, bytes: fresh.bytes[i]! };
      out.t.push(t);
      out.flows.push(v?.flows ?? 0);
      out.bytes.push(v?.bytes ?? 0);
    }
    this.trim(this.traffic, now);
    return out;
  }

  /** One namespace's source traffic (the forecast chart's scope): from memory when fed, else the store. */
  async namespaceTraffic(namespace: string, from: number, to: number): Promise<StepSeries> {
    const first = Math.ceil(from / this.windowMs) * this.windowMs;
    if (!this.fed(first)) {
      const s = await readNamespaceSeries(this.db, namespace, {
        from,
        to,
        windowMs: this.windowMs,
        kind: 'source',
      });
      return { t: s.flows.map((_, i) => s.startMs + i * s.stepMs), flows: s.flows, bytes: s.bytes };
    }
    const out: StepSeries = { t: [], flows: [], bytes: [] };
    for (const t of this.steps(from, to)) {
      let flows = 0;
      let bytes = 0;
      for (const v of this.talkers.get(t)?.values() ?? []) {
        if (v.namespace !== namespace) continue;
        flows += v.flows;
        bytes += v.bytes;
      }
      out.t.push(t);
      out.flows.push(flows);
      out.bytes.push(bytes);
    }
    return out;
  }

  async scoreSteps(from: number, to: number, now: number): Promise<ScoreStep> {
    const step = this.windowMs;
    const range = this.storeRange(this.scores, from, to);
    const fresh =
      range.from < range.to
        ? await scoreSteps(this.db, { ...range, stepMs: step, alertAt: this.alertAt })
        : undefined;
    const freshAt = new Map((fresh?.t ?? []).map((t, i) => [t, i]));
    fresh?.t.forEach((t, i) => {
      if (this.settled(t, now))
        this.scores.set(t, {
          threat: fresh.threat[i]!,
          anomaly: fresh.anomaly[i]!,
          alerts: fresh.alerts[i]!,
        });
    });
    const out: ScoreStep = { t: [], threat: [], anomaly: [], alerts: [] };
    for (const t of this.steps(from, to)) {
      const i = freshAt.get(t);
      const v =
        i === undefined || !fresh
          ? this.scores.get(t)
          : { threat: fresh.threat[i]!, anomaly: fresh.anomaly[i]!, alerts: fresh.alerts[i]! };
      out.t.push(t);
      out.threat.push(v?.threat ?? null);
      out.anomaly.push(v?.anomaly ?? null);
      out.alerts.push(v?.alerts ?? 0);
    }
    this.trim(this.scores, now);
    return out;
  }

  /** Source entities by flows sent in [from, to), busiest first, with their highest threat. */
  async topTalkers(from: number, to: number, now: number, limit: number): Promise<Talker[]> {
    const range = this.storeRange(this.talkers, from, to);
    const totals = new Map<string, EntityTotals>();
    const add = (entity: string, v: EntityTotals) => {
      const cur = totals.get(entity);
      if (cur) {
        cur.flows += v.flows;
        cur.bytes += v.bytes;
      } else totals.set(entity, { ...v });
    };
    for (const t of this.steps(from, to)) {
      if (t >= range.from && t < range.to) continue;
      for (const [e, v] of this.talkers.get(t) ?? []) add(e, v);
    }
    if (range.from < range.to) {
      const { rows } = await this.db.query<{
        t: number;
        entity: string;
        kind: EntityKind;
        namespace: string | null;
        flows: number;
        bytes: number;
      }>(
        `SELECT (extract(epoch FROM window_start) * 1000)::float8 AS t, entity, kind, namespace, flows::float8 AS flows,
                bytes::float8 AS bytes
           FROM features
          WHERE window_start >= $1 AND window_start < $2 AND kind = 'source'
            AND mod((extract(epoch FROM window_start) * 1000)::bigint, $3::bigint) = 0
            AND (extract(epoch FROM window_end - window_start) * 1000)::bigint = $3::bigint`,
        [new Date(range.from).toISOString(), new Date(range.to).toISOString(), this.windowMs],
      );
      const byStep = new Map<number, Map<string, EntityTotals>>();
      for (const r of rows) {
        const v: EntityTotals = {
          kind: r.kind,
          flows: r.flows,
          bytes: r.bytes,
          ...(r.namespace === null ? {} : { namespace: r.namespace }),
        };
        add(r.entity, v);
        let m = byStep.get(r.t);
        if (!m) byStep.set(r.t, (m = new Map<string, EntityTotals>()));
        m.set(r.entity, v);
      }
      for (const t of this.steps(range.from, range.to)) {
        if (this.settled(t, now)) this.talkers.set(t, byStep.get(t) ?? new Map<string, EntityTotals>());
      }
    }
    this.trim(this.talkers, now);
    const top = [...totals].sort((a, b) => b[1].flows - a[1].flows || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
    const threats = await this.maxThreats(
      from,
      to,
      top.map(([e]) => e),
    );
    return top.map(([entity, v]) => ({ entity, ...v, maxThreat: threats.get(entity) ?? 0 }));
  }

  /** The connection graph over [from, to) from memory, or undefined when that span was not fed. */
  graph(from: number, to: number, maxEdges: number): Graph | undefined {
    if (!this.graphs.covers(from) || !this.fed(Math.floor(from / this.windowMs) * this.windowMs))
      return undefined;
    return this.graphs.graph(from, to, maxEdges, this.fedThreats(from, to));
  }

  /** Highest verdict threat per entity in the span (by step when fed). */
  private async maxThreats(
    from: number,
    to: number,
    entities: readonly string[],
  ): Promise<Map<string, number>> {
    if (!this.fed(Math.floor(from / this.windowMs) * this.windowMs))
      return maxThreats(this.db, { from, to }, entities);
    return this.fedThreats(from, to, entities);
  }

  /** Highest fed verdict threat per entity (of `entities`, or all) in the steps of the span. */
  private fedThreats(from: number, to: number, entities?: readonly string[]): Map<string, number> {
    const out = new Map<string, number>();
    const add = (e: string, v: number) => out.set(e, Math.max(out.get(e) ?? -Infinity, v));
    for (let t = Math.floor(from / this.windowMs) * this.windowMs; t < to; t += this.windowMs) {
      const byEntity = this.threats.get(t);
      if (!byEntity) continue;
      if (!entities) for (const [e, v] of byEntity) add(e, v);
      else
        for (const e of entities) {
          const v = byEntity.get(e);
          if (v !== undefined) add(e, v);
        }
    }
    return out;
  }

  private trim(map: Map<number, unknown>, now: number): void {
    if (map.size < 20_000) return;
    for (const t of map.keys()) if (t < now - KEEP_MS) map.delete(t);
  }

  private trimAll(fed: readonly { windowEnd: number }[]): void {
    let now = -Infinity;
    for (const f of fed) now = Math.max(now, f.windowEnd);
    for (const m of [this.traffic, this.scores, this.talkers, this.threats]) this.trim(m, now);
  }
}
