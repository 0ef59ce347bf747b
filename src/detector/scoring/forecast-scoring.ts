/**
 * Forecasts inside the scoring path. Loaded forecaster bundles (one model per target, ONNX
 * sessions through OnnxForecaster) are assessed once per non-overlapping window (windows whose
 * start is a multiple of the window length: the per-minute series the forecasters were trained
 * on), for every target, with the actual traffic of that window:
 * - the entity's own out-of-interval score (above the interval only: less traffic than expected
 *   is an outage or a quiet hour, not an attack) feeds its anomaly;
 * - a forecast whose interval reaches the target's configured capacity within the horizon is a
 *   predicted bottleneck, kept until the next assessment of that target, and attached to the
 *   entity, every entity of the namespace, or the service entity it concerns.
 * Recent values per target are kept in memory for the LSTM's input window and fill from the
 * stream; a target without any (after a restart, or one new in a loaded bundle) first reads the
 * minutes before the window being assessed from the store, so the LSTM speaks from its first
 * window instead of a window's worth of minutes later.
 */
import type { ScoringConfig } from '../../config/scoring-schema.js';
import type { Logger } from '../../observability/logger.js';
import { errorMessage } from '../../errors.js';
import { AdditiveForecaster, type AdditiveParams } from '../models/forecast/additive.js';
import { LstmForecaster, type LstmParams } from '../models/forecast/lstm.js';
import { OnnxForecaster } from '../models/forecast/onnx-forecaster.js';
import { FEATURE_SCHEMA } from '../features/schema.js';
import type { ForecastBundleParams } from '../training/forecast-training.js';
import type { FeatureRow } from '../store/types.js';
import type { RegularSeries } from '../models/types.js';
import { ForecastService, targetId, type ForecastAssessment, type ForecastTarget } from './forecaster.js';
import type { DetectorScore, Prediction } from './verdict.js';

export interface LoadedBundle {
  name: 'forecast-additive' | 'forecast-lstm';
  version: number;
  params: ForecastBundleParams;
}

interface Engines {
  name: LoadedBundle['name'];
  version: number;
  service: ForecastService;
  sessions: OnnxForecaster[];
  targets: ForecastTarget[];
  /** Input length the model needs (1 for the additive model: it reads only timestamps). */
  window: number;
}

export interface RowForecast {
  detectors: DetectorScore[];
  /** Highest out-of-interval score above the interval, [0,1]. */
  outOfInterval: number;
  bottleneck?: Prediction;
  detail?: string;
}

const RECENT_MAX = 256;

function entityKey(kind: string, entity: string): string {
  return `${kind}:${entity}`;
}

export class ForecastScoring {
  private engines: Engines[] = [];
  private readonly recent = new Map<string, { lastStart: number; values: number[] }>();
  private readonly bottlenecks = new Map<string, Prediction>();
  private byEntity = new Map<string, ForecastTarget>();
  private byNamespace = new Map<string, ForecastTarget>();

  constructor(
    private readonly config: ScoringConfig,
    private readonly windowMs: number,
    private readonly logger: Logger,
    /** The target's per-minute series over [from, to) from the store (values before a restart). */
    private readonly readRecent?: (
      target: ForecastTarget,
      range: { from: number; to: number },
    ) => Promise<RegularSeries>,
  ) {}

  get versions(): Record<string, number> {
    return Object.fromEntries(this.engines.map((e) => [e.name, e.version]));
  }

  /** Builds sessions for the bundles, then replaces the current ones (released afterwards). */
  async load(bundles: readonly LoadedBundle[]): Promise<void> {
    const next: Engines[] = [];
    try {
      for (const b of bundles) next.push(await this.build(b));
    } catch (err) {
      await Promise.all(next.flatMap((e) => e.sessions.map((s) => s.release())));
      throw err;
    }
    const old = this.engines;
    this.engines = next;
    this.byEntity = new Map();
    this.byNamespace = new Map();
    for (const e of next) {
      for (const t of e.targets) {
        if (t.scope === 'namespace') this.byNamespace.set(t.key, t);
        else
          this.byEntity.set(
            entityKey(t.kind ?? (t.scope === 'service' ? 'destination' : 'source'), t.key),
            t,
          );
      }
    }
    this.bottlenecks.clear();
    await Promise.all(old.flatMap((e) => e.sessions.map((s) => s.release())));
  }

  private async build(b: LoadedBundle): Promise<Engines> {
    const service = new ForecastService({
      horizonSeconds: this.config.horizonSeconds,
      capacity: (t) => this.config.capacity[`${t.scope}:${t.key}`],
    });
    const sessions: OnnxForecaster[] = [];
    const targets: ForecastTarget[] = [];
    let window = 1;
    for (const t of b.params.targets) {
      const meta = { name: b.name, version: b.version, featureSchemaVersion: FEATURE_SCHEMA.version };
      const model =
        b.params.model === 'additive'
          ? AdditiveForecaster.fromParams(t.params as AdditiveParams)
          : LstmForecaster.fromParams(t.params as LstmParams);
      if (model instanceof LstmForecaster) window = Math.max(window, model.params.window);
      const engine = await OnnxForecaster.create(model, model.toOnnx(meta));
      sessions.push(engine);
      service.load(t.target, engine);
      targets.push(t.target);
    }
    return { name: b.name, version: b.version, service, sessions, targets, window };
  }

  /** Per row index: forecast detector scores, the out-of-interval score and any bottleneck. */
  async assess(rows: readonly FeatureRow[]): Promise<Map<number, RowForecast>> {
    const out = new Map<number, RowForecast>();
    if (this.engines.length === 0) return out;
    const groups = new Map<number, number[]>();
    rows.forEach((r, i) => {
      if (r.windowStart % this.windowMs === 0 && r.windowEnd - r.windowStart === this.windowMs) {
        const g = groups.get(r.windowStart);
        if (g) g.push(i);
        else groups.set(r.windowStart, [i]);
      }
    });
    const own = new Map<string, { detectors: DetectorScore[]; oob: number; detail?: string }>();
    for (const start of [...groups.keys()].sort((a, b) => a - b)) {
      const actual = this.actuals(rows, groups.get(start)!);
      const seen = new Set<string>();
      for (const e of this.engines) {
        for (const t of e.targets) {
          const id = targetId(t);
          seen.add(id);
          const value = actual.get(id) ?? 0;
          const a = await this.assessOne(e, t, start, value).catch((err: unknown) => {
            this.logger.debug(`forecast ${e.name} ${id} failed: ${errorMessage(err)}`);
            return undefined;
          });
          if (!a) continue;
          if (a.bottleneck) this.bottlenecks.set(`${e.name}|${id}`, a.bottleneck);
          else this.bottlenecks.delete(`${e.name}|${id}`);
          if (t.scope === 'namespace') continue;
          const key = `${start}|${entityKey(t.kind ?? 'source', t.key)}`;
          const o = own.get(key) ?? { detectors: [], oob: 0 };
          const above = a.outOfInterval.direction === 'above' ? a.outOfInterval.score : 0;
          o.detectors.push({
            detector: e.name === 'forecast-additive' ? 'forecast' : 'lstm',
            score: above,
            raw: a.outOfInterval.distance,
          });
          if (above > o.oob) {
            o.oob = above;
            o.detail = `${Math.round(value)} flows/min above the forecast interval (≤ ${Math.round(a.latest.upper)})`;
          }
          own.set(key, o);
        }
      }
      for (const id of seen) this.push(id, start, actual.get(id) ?? 0);
    }
    rows.forEach((r, i) => {
      const key = entityKey(r.kind, r.entity);
      const o = own.get(`${r.windowStart}|${key}`);
      const target = this.byEntity.get(key);
      const nsTarget = r.namespace ? this.byNamespace.get(r.namespace) : undefined;
      const bottleneck = (target && this.bottleneckOf(target)) ?? (nsTarget && this.bottleneckOf(nsTarget));
      if (!o && !bottleneck) return;
      out.set(i, {
        detectors: o?.detectors ?? [],
        outOfInterval: o?.oob ?? 0,
        ...(bottleneck ? { bottleneck } : {}),
        ...(o?.detail ? { detail: o.detail } : {}),
      });
    });
    return out;
  }

  /** The earliest capacity breach any model forecasts for the target. */
  private bottleneckOf(t: ForecastTarget): Prediction | undefined {
    let best: Prediction | undefined;
    for (const e of this.engines) {
      const p = this.bottlenecks.get(`${e.name}|${targetId(t)}`);
      if (p && (!best || p.at < best.at)) best = p;
    }
    return best;
  }

  /** Actual flows of every target in one aligned window. */
  private actuals(rows: readonly FeatureRow[], indices: readonly number[]): Map<string, number> {
    const out = new Map<string, number>();
    const add = (t: ForecastTarget | undefined, v: number) => {
      if (t) out.set(targetId(t), (out.get(targetId(t)) ?? 0) + v);
    };
    for (const i of indices) {
      const r = rows[i]!;
      add(this.byEntity.get(entityKey(r.kind, r.entity)), r.flows);
      if (r.kind === 'source' && r.namespace) add(this.byNamespace.get(r.namespace), r.flows);
    }
    return out;
  }

  private async assessOne(
    e: Engines,
    t: ForecastTarget,
    start: number,
    value: number,
  ): Promise<ForecastAssessment | undefined> {
    const step = this.windowMs;
    if (e.window <= 1) {
      // The additive model reads only where the history ends.
      return e.service.assess(t, { startMs: start - step, stepMs: step, values: [0, value] });
    }
    let recent = this.recent.get(targetId(t));
    if (!recent && this.readRecent) {
      const series = await this.readRecent(t, { from: start - e.window * step, to: start });
      recent = { lastStart: start - step, values: [...series.values] };
      this.recent.set(targetId(t), recent);
    }
    if (!recent || recent.lastStart !== start - step || recent.values.length < e.window) return undefined;
    const values = [...recent.values.slice(-e.window), value];
    return e.service.assess(t, { startMs: start - e.window * step, stepMs: step, values });
  }

  private push(id: string, start: number, value: number): void {
    const step = this.windowMs;
    let r = this.recent.get(id);
    if (!r || start - r.lastStart > step * RECENT_MAX) r = { lastStart: start - step, values: [] };
    if (start <= r.lastStart) return;
    // Minutes without a row for the target had no traffic.
    for (let t = r.lastStart + step; t < start; t += step) r.values.push(0);
    r.values.push(value);
    r.lastStart = start;
    if (r.values.length > RECENT_MAX) r.values.splice(0, r.values.length - RECENT_MAX);
    this.recent.set(id, r);
  }

  async close(): Promise<void> {
    await this.load([]);
  }
}
