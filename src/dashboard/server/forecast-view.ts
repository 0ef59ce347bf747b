/**
 * Forecasts for the dashboard's charts: the active `forecast-additive` bundle from the registry
 * (the model the detector scores with), evaluated in TypeScript — the additive model depends only
 * on timestamps, so no ONNX session or history window is needed to draw the horizon ahead of now.
 * The bundle is reloaded when the registry's active version changes (checked at most every
 * `checkMs`).
 */
import { AdditiveForecaster, type AdditiveParams } from '../../detector/models/forecast/additive.js';
import type { Forecast, RegularSeries } from '../../detector/models/types.js';
import { targetId, type ForecastTarget } from '../../detector/scoring/forecaster.js';
import type { ModelRegistry } from '../../detector/store/model-registry.js';
import type { ForecastBundleParams } from '../../detector/training/forecast-training.js';

const MODEL = 'forecast-additive';

export interface ForecastCurve {
  t: number[];
  yhat: number[];
  lower: number[];
  upper: number[];
  model: string;
  version: number;
}

export class ForecastView {
  private version: number | undefined;
  private models = new Map<string, { target: ForecastTarget; model: AdditiveForecaster }>();
  private checkedAt = -Infinity;

  constructor(
    private readonly registry: ModelRegistry,
    private readonly checkMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Targets the active bundle forecasts. */
  async targets(): Promise<ForecastTarget[]> {
    await this.refresh();
    return [...this.models.values()].map((m) => m.target);
  }

  /** The `steps` values after `history`'s end, or undefined when no model covers the target. */
  async forecast(
    target: ForecastTarget,
    history: RegularSeries,
    steps: number,
  ): Promise<ForecastCurve | undefined> {
    await this.refresh();
    const entry = this.models.get(targetId(target));
    if (!entry || this.version === undefined) return undefined;
    const f: Forecast = entry.model.forecast(history, steps);
    return {
      t: Array.from(f.t),
      yhat: Array.from(f.yhat, (v) => Math.max(0, v)),
      lower: Array.from(f.lower, (v) => Math.max(0, v)),
      upper: Array.from(f.upper, (v) => Math.max(0, v)),
      model: MODEL,
      version: this.version,
    };
  }

  private async refresh(): Promise<void> {
    if (this.now() - this.checkedAt < this.checkMs) return;
    this.checkedAt = this.now();
    const active = (await this.registry.activeVersions())[MODEL];
    if (active === this.version) return;
    this.models = new Map();
    this.version = undefined;
    if (active === undefined) return;
    const [bundle] = await this.registry.loadActive([MODEL]);
    const params = bundle?.params as ForecastBundleParams | undefined;
    if (!bundle || params?.kind !== 'forecast-bundle' || params.model !== 'additive') return;
    for (const t of params.targets) {
      this.models.set(targetId(t.target), {
        target: t.target,
        model: AdditiveForecaster.fromParams(t.params as AdditiveParams),
      });
    }
    this.version = bundle.version;
  }
}
