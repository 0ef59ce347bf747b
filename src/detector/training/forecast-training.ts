/**
 * Training the traffic forecasters for the registry. Forecasts are per target (the busiest
 * source entities, the busiest workload services, every namespace), so one registry version of
 * `forecast-additive` or `forecast-lstm` is a bundle: one model per target, in params. ONNX for
 * each target is exported again when a detector loads the bundle (export is deterministic), so
 * the registry keeps no per-target bytes (docs/adr/0011).
 *
 * Validation per target: fit on the first 80% of the series, forecast the rest, and score
 * interval coverage against the nominal level and the error against the naive last-value forecast
 * (log1p units). The additive model is then refitted on the whole series (the trend at the end
 * matters most); the LSTM keeps its validated weights (retraining doubles its cost).
 */
import { AdditiveForecaster, type AdditiveParams } from '../models/forecast/additive.js';
import type { LstmParams } from '../models/forecast/lstm.js';
import { trainLstm } from '../models/forecast/lstm-train.js';
import type { Forecast, RegularSeries } from '../models/types.js';
import { targetId, type ForecastTarget } from '../scoring/forecaster.js';
import type { Db } from '../store/db.js';
import { metricSeries, readAllNamespaceSeries, readTargetSeries } from '../store/series-queries.js';
import { busiestEntities } from '../store/training-queries.js';

export type ForecastModelKind = 'additive' | 'lstm';

export interface BundleTarget<P> {
  target: ForecastTarget;
  params: P;
  validation: TargetValidation;
}

export interface ForecastBundleParams {
  kind: 'forecast-bundle';
  model: ForecastModelKind;
  stepMs: number;
  targets: BundleTarget<AdditiveParams | LstmParams>[];
}

export interface TargetValidation {
  points: number;
  coverage: number;
  mae: number;
  naiveMae: number;
  quality: number;
}

export interface TrainedBundle {
  params: ForecastBundleParams;
  quality: number;
  /** Quality of the active bundle on the same targets and points (when it covers any). */
  activeQuality?: number;
  points: number;
}

export interface ForecastTrainingOptions {
  from: number;
  to: number;
  windowMs: number;
  maxTargets: number;
  minPoints: number;
  lstm: { maxTargets: number; epochs: number; window: number; units: number };
  seed: number;
  active?: Partial<Record<ForecastModelKind, ForecastBundleParams>>;
  onProgress?: (done: number, total: number) => void;
}

const LEVEL = 0.9;

/** Series worth forecasting, busiest first, at most `maxTargets`. */
export async function forecastTargets(
  db: Db,
  o: Pick<ForecastTrainingOptions, 'from' | 'to' | 'windowMs' | 'maxTargets' | 'minPoints'>,
): Promise<{ target: ForecastTarget; series: RegularSeries }[]> {
  if (o.maxTargets <= 0) return [];
  // Whole windows only: the one ending after `to` is still filling, and its partial (or zero)
  // count at the end of the series drags the fitted trend down right where forecasts start.
  const range = { from: o.from, to: Math.floor(o.to / o.windowMs) * o.windowMs, windowMs: o.windowMs };
  const out: { target: ForecastTarget; series: RegularSeries; total: number }[] = [];
  const add = (target: ForecastTarget, series: RegularSeries) => {
    const total = series.values.reduce((a, b) => a + b, 0);
    if (series.values.length >= o.minPoints && total > 0) out.push({ target, series, total });
  };
  for (const [ns, s] of await readAllNamespaceSeries(db, { ...range, kind: 'source' })) {
    add({ scope: 'namespace', key: ns, metric: 'flows', kind: 'source' }, metricSeries(s, 'flows'));
  }
  const services = await busiestEntities(db, {
    ...range,
    kind: 'destination',
    limit: Math.ceil(o.maxTargets / 4),
    workloadsOnly: true,
  });
  for (const s of services) {
    const target: ForecastTarget = { scope: 'service', key: s.entity, metric: 'flows', kind: 'destination' };
    add(target, await readTargetSeries(db, target, range));
  }
  for (const e of await busiestEntities(db, { ...range, kind: 'source', limit: o.maxTargets })) {
    const target: ForecastTarget = { scope: 'entity', key: e.entity, metric: 'flows', kind: 'source' };
    add(target, await readTargetSeries(db, target, range));
  }
  return out
    .sort((a, b) => b.total - a.total || (targetId(a.target) < targetId(b.target) ? -1 : 1))
    .slice(0, o.maxTargets);
}

function split(series: RegularSeries): { head: RegularSeries; tail: number[]; tailStart: number } {
  const n = Math.floor(series.values.length * 0.8);
  return {
    head: { ...series, values: series.values.slice(0, n) },
    tail: series.values.slice(n),
    tailStart: series.startMs + n * series.stepMs,
  };
}

/** Coverage, error and quality of a forecast of `actual`; `last` is the naive forecast. */
export function scoreForecast(f: Forecast, actual: readonly number[], last: number): TargetValidation {
  const l = (v: number) => Math.log1p(Math.max(0, v));
  let covered = 0;
  let mae = 0;
  let naive = 0;
  const n = Math.min(actual.length, f.yhat.length);
  for (let i = 0; i < n; i++) {
    const a = actual[i]!;
    if (a >= f.lower[i]! && a <= f.upper[i]!) covered++;
    mae += Math.abs(l(a) - l(f.yhat[i]!));
    naive += Math.abs(l(a) - l(last));
  }
  const coverage = n > 0 ? covered / n : 0;
  mae = n > 0 ? mae / n : 0;
  naive = n > 0 ? naive / n : 0;
  const eps = 0.01;
  const quality = 0.5 * Math.min(1, coverage / LEVEL) + 0.5 * Math.min(1, (naive + eps) / (mae + eps));
  return { points: n, coverage, mae, naiveMae: naive, quality };
}

const mean = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function activeQuality(
  active: ForecastBundleParams | undefined,
  validated: { target: ForecastTarget; series: RegularSeries }[],
): number | undefined {
  if (active?.model !== 'additive') return undefined; // the LSTM needs history windows: compared on its own
  const byId = new Map(active.targets.map((t) => [targetId(t.target), t.params as AdditiveParams]));
  const scores: number[] = [];
  for (const v of validated) {
    const p = byId.get(targetId(v.target));
    if (!p || p.stepMs !== v.series.stepMs) continue;
    const { tail, tailStart, head } = split(v.series);
    const times = tail.map((_, i) => tailStart + i * v.series.stepMs);
    const f = AdditiveForecaster.fromParams(p).predict(times);
    scores.push(scoreForecast(f, tail, head.values[head.values.length - 1] ?? 0).quality);
  }
  return scores.length > 0 ? mean(scores) : undefined;
}

export async function trainForecasters(
  db: Db,
  o: ForecastTrainingOptions,
): Promise<Partial<Record<ForecastModelKind, TrainedBundle>>> {
  const targets = await forecastTargets(db, o);
  const lstmTargets = targets
    .filter((t) => t.series.values.length * 0.8 >= o.lstm.window + 20)
    .slice(0, o.lstm.maxTargets);
  const total = targets.length + lstmTargets.length;
  let done = 0;
  const out: Partial<Record<ForecastModelKind, TrainedBundle>> = {};
  if (targets.length === 0) return out;

  const additive: BundleTarget<AdditiveParams>[] = [];
  for (const t of targets) {
    const { head, tail } = split(t.series);
    const validation = scoreForecast(
      AdditiveForecaster.fit(head).forecast(head, tail.length),
      tail,
      head.values[head.values.length - 1] ?? 0,
    );
    additive.push({ target: t.target, params: AdditiveForecaster.fit(t.series).params, validation });
    o.onProgress?.(++done, total);
  }
  const stepMs = o.windowMs;
  const aq = activeQuality(o.active?.additive, targets);
  out.additive = {
    params: { kind: 'forecast-bundle', model: 'additive', stepMs, targets: additive },
    quality: mean(additive.map((t) => t.validation.quality)),
    ...(aq === undefined ? {} : { activeQuality: aq }),
    points: targets.reduce((n, t) => n + t.series.values.length, 0),
  };

  const lstm: BundleTarget<LstmParams>[] = [];
  for (const [i, t] of lstmTargets.entries()) {
    const { head, tail } = split(t.series);
    const model = await trainLstm(head, {
      window: o.lstm.window,
      units: o.lstm.units,
      epochs: o.lstm.epochs,
      seed: o.seed + i,
    });
    const validation = scoreForecast(
      model.forecast(head, tail.length),
      tail,
      head.values[head.values.length - 1] ?? 0,
    );
    lstm.push({ target: t.target, params: model.params, validation });
    o.onProgress?.(++done, total);
  }
  if (lstm.length > 0) {
    out.lstm = {
      params: { kind: 'forecast-bundle', model: 'lstm', stepMs, targets: lstm },
      quality: mean(lstm.map((t) => t.validation.quality)),
      points: lstmTargets.reduce((n, t) => n + t.series.values.length, 0),
    };
  }
  return out;
}
