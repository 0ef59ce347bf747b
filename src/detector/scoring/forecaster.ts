/**
 * The forecast service: per-minute traffic of an entity, a namespace or a service goes in; for
 * each target it keeps a forecaster (fitted here, or loaded from the registry as a TypeScript
 * model or an ONNX session) and answers, over a configurable horizon:
 * - a predicted bottleneck: the first future step whose interval upper bound reaches the
 *   target's configured capacity;
 * - an out-of-interval score for the latest actual value, in [0,1], that the ensemble adds to
 *   the anomaly score.
 * The score-trend prediction (the preemptive "predicted threat") is in threat-trend.ts.
 */
import { ForesightError } from '../../errors.js';
import { AdditiveForecaster, type AdditiveOptions } from '../models/forecast/additive.js';
import { trainLstm, type LstmTrainOptions } from '../models/forecast/lstm-train.js';
import type { Forecast, ForecasterName, RegularSeries } from '../models/types.js';
import type { SeriesTarget } from '../store/series-queries.js';
import type { Prediction } from './verdict.js';

/** Entity key, namespace name, or service name, with the metric and the kind of rows summed. */
export type ForecastTarget = SeriesTarget;
export type ForecastScope = ForecastTarget['scope'];

export function targetId(t: ForecastTarget): string {
  return `${t.scope}:${t.kind ?? '-'}:${t.metric}:${t.key}`;
}

/** What the service needs of a model: a TypeScript forecaster or an OnnxForecaster both fit. */
export interface ForecastEngine {
  readonly name: ForecasterName;
  readonly stepMs: number;
  forecast(history: RegularSeries, steps: number): Forecast | Promise<Forecast>;
}

export interface ForecastServiceOptions {
  /** How far ahead to look, e.g. 300 (5 m) or 3600 (1 h). */
  horizonSeconds: number;
  /** Which model `fit` trains (default additive). */
  model?: 'additive' | 'lstm';
  additive?: AdditiveOptions;
  lstm?: LstmTrainOptions;
  /** Capacity of a target in its metric's units per step (flows or bytes per minute); none: no bottleneck. */
  capacity?: (target: ForecastTarget) => number | undefined;
  /** Predict a bottleneck when this bound reaches capacity (default `upper`: the interval's upper bound). */
  bottleneckBound?: 'upper' | 'yhat';
  /** Floor of the interval half-width in log1p units for the out-of-interval score (default 0.1). */
  minHalfWidth?: number;
}

export interface OutOfInterval {
  /** 0 inside the interval, rising towards 1 the further outside. */
  score: number;
  direction: 'inside' | 'above' | 'below';
  /** Distance outside, in half-widths of the interval on that side (log1p units). */
  distance: number;
}

export interface ForecastAssessment {
  target: ForecastTarget;
  model: ForecasterName;
  /** The latest actual value and what the model expected for it from the history before it. */
  latest: { t: number; actual: number; yhat: number; lower: number; upper: number };
  outOfInterval: OutOfInterval;
  /** The horizon's steps after the latest value. */
  forecast: Forecast;
  bottleneck?: Prediction;
}

/** Counting noise: a Poisson count with mean m strays ±3·√m (at least ±3) without meaning anything. */
const COUNT_NOISE_SIGMAS = 3;

/**
 * How far `actual` lies outside [lower, upper], in log1p units (traffic is multiplicative: 20
 * flows where 10 were the upper bound is as far out at any level), relative to the interval's
 * half-width on that side; mapped to [0,1] by 1 − e^(−d): one half-width outside scores 0.63.
 *
 * The values are counts per step (flows per minute), so an interval narrower than counting noise
 * is first widened to yhat ± 3·√max(1, yhat): a sparse series forecast at 0 does not call 3 flows
 * "far above", while at 10,000 flows/min the noise floor (±300) is inside any fitted interval.
 */
export function outOfIntervalScore(
  actual: number,
  interval: { yhat: number; lower: number; upper: number },
  minHalfWidth = 0.1,
): OutOfInterval {
  const l = (v: number) => Math.log1p(Math.max(0, v));
  const a = l(actual);
  const mean = Math.max(0, interval.yhat);
  const noise = COUNT_NOISE_SIGMAS * Math.sqrt(Math.max(1, mean));
  const [y, lo, hi] = [
    l(interval.yhat),
    l(Math.min(interval.lower, mean - noise)),
    l(Math.max(interval.upper, mean + noise)),
  ];
  if (a >= lo && a <= hi) return { score: 0, direction: 'inside', distance: 0 };
  const above = a > hi;
  const distance = above
    ? (a - hi) / Math.max(hi - y, minHalfWidth)
    : (lo - a) / Math.max(y - lo, minHalfWidth);
  return { score: 1 - Math.exp(-distance), direction: above ? 'above' : 'below', distance };
}

/** The first step of `forecast` whose bound reaches `capacity`, as a verdict prediction. */
export function predictBottleneck(
  forecast: Forecast,
  capacity: number,
  horizonSeconds: number,
  options: { bound?: 'upper' | 'yhat'; unit?: string } = {},
): Prediction | undefined {
  const bound = options.bound ?? 'upper';
  const values = forecast[bound];
  for (let i = 0; i < values.length; i++) {
    if (values[i]! >= capacity) {
      const unit = options.unit ?? '';
      return {
        kind: 'bottleneck',
        at: forecast.t[i]!,
        horizonSeconds,
        detail:
          `forecast ${bound === 'upper' ? 'upper bound ' : ''}${values[i]!.toFixed(1)}${unit} reaches capacity ` +
          `${capacity}${unit} at ${new Date(forecast.t[i]!).toISOString()} (expected ${forecast.yhat[i]!.toFixed(1)}${unit})`,
      };
    }
  }
  return undefined;
}

export class ForecastService {
  private readonly engines = new Map<string, ForecastEngine>();

  constructor(private readonly options: ForecastServiceOptions) {
    if (!(options.horizonSeconds > 0)) {
      throw new ForesightError(
        'forecast-bad-option',
        `horizonSeconds must be positive, got ${options.horizonSeconds}`,
      );
    }
  }

  /** Trains the configured model on `series` and keeps it for `target`. */
  async fit(target: ForecastTarget, series: RegularSeries): Promise<ForecastEngine> {
    const engine =
      this.options.model === 'lstm'
        ? await trainLstm(series, this.options.lstm)
        : AdditiveForecaster.fit(series, this.options.additive);
    this.engines.set(targetId(target), engine);
    return engine;
  }

  /** Uses a model trained elsewhere (registry: TypeScript params or an ONNX session). */
  load(target: ForecastTarget, engine: ForecastEngine): void {
    this.engines.set(targetId(target), engine);
  }

  has(target: ForecastTarget): boolean {
    return this.engines.has(targetId(target));
  }

  horizonSteps(stepMs: number): number {
    return Math.max(1, Math.ceil((this.options.horizonSeconds * 1000) / stepMs));
  }

  /**
   * Judges the latest value of `history` and forecasts the horizon after it. The model sees the
   * history without its latest value, so the latest value is scored against a true forecast.
   */
  async assess(target: ForecastTarget, history: RegularSeries): Promise<ForecastAssessment> {
    const engine = this.engines.get(targetId(target));
    if (!engine) throw new ForesightError('forecast-no-model', `no forecaster for ${targetId(target)}`);
    if (history.values.length < 2)
      throw new ForesightError('forecast-too-short', 'assess needs at least 2 points');
    const steps = this.horizonSteps(history.stepMs);
    const before: RegularSeries = { ...history, values: history.values.slice(0, -1) };
    const all = await engine.forecast(before, steps + 1);
    const latest = {
      t: all.t[0]!,
      actual: history.values[history.values.length - 1]!,
      yhat: all.yhat[0]!,
      lower: all.lower[0]!,
      upper: all.upper[0]!,
    };
    const forecast: Forecast = {
      t: all.t.subarray(1),
      yhat: all.yhat.subarray(1),
      lower: all.lower.subarray(1),
      upper: all.upper.subarray(1),
    };
    const assessment: ForecastAssessment = {
      target,
      model: engine.name,
      latest,
      outOfInterval: outOfIntervalScore(latest.actual, latest, this.options.minHalfWidth),
      forecast,
    };
    const capacity = this.options.capacity?.(target);
    if (capacity !== undefined) {
      const bottleneck = predictBottleneck(forecast, capacity, this.options.horizonSeconds, {
        bound: this.options.bottleneckBound ?? 'upper',
        unit: ` ${target.metric}/${history.stepMs === 60_000 ? 'min' : `${history.stepMs / 1000}s`}`,
      });
      if (bottleneck) assessment.bottleneck = bottleneck;
    }
    return assessment;
  }
}
