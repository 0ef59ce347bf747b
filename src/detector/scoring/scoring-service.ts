/**
 * The scoring service: what the detector does with each batch of durable windows (the
 * `onWindows` hook). Per batch: the active anomaly set scores every window in ONNX (calibrated
 * detector scores, ensemble, explanation), the forecasters assess the per-minute traffic, and
 * score-row.ts turns that into a verdict per window; verdicts reaching the configured minimum
 * threat (or carrying a prediction) are stored and then published on NATS.
 *
 * Model versions: the registry is polled every `modelPollSeconds`; a change is loaded and swapped
 * in between batches (batches and swaps run one at a time through one queue), so every window is
 * scored exactly once, by exactly one set, and its verdict names that set's versions.
 * Failures are logged and counted, never thrown into ingest: a batch that cannot be scored stays
 * unscored, the next one is tried again.
 */
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { counter, gauge, histogram, type Registry } from '../../observability/metrics.js';
import { FEATURE_COUNT } from '../features/schema.js';
import type { IdentityIndex } from '../ingest/identity-index.js';
import { matrixFromRows } from '../models/matrix.js';
import type { Db } from '../store/db.js';
import { loadThresholdOffsets, offsetKey } from '../store/feedback-queries.js';
import type { ModelRegistry } from '../store/model-registry.js';
import { countEntityHistory } from '../store/training-queries.js';
import type { EntityKind, FeatureRow } from '../store/types.js';
import { anomalyModelName, entityBaselineName } from '../training/model-names.js';
import type { VerdictStore } from '../store/verdict-store.js';
import { emptyActiveSet, loadActiveSet, sameVersions, type ActiveSet } from './active-models.js';
import { EntityState, type EntityMemory } from './entity-state.js';
import { readTargetSeries } from '../store/series-queries.js';
import { ForecastScoring } from './forecast-scoring.js';
import { OnnxScorer, type RowScore, type SessionFactory } from './onnx-scorer.js';
import type { ScalerParams } from '../models/scaler.js';
import type { AnomalyDetectorName } from '../models/types.js';
import { ScanScoring } from './scan-scoring.js';
import { scoreRow } from './score-row.js';
import type { VerdictPublisher } from './verdict-publisher.js';
import type { Verdict } from './verdict.js';

export interface ScoringServiceDeps {
  db: Db;
  registry: ModelRegistry;
  verdicts: VerdictStore;
  publisher: VerdictPublisher;
  identities?: IdentityIndex;
  config: Config;
  logger: Logger;
  metrics: Registry;
  now?: () => number;
  createSession?: SessionFactory;
}

export interface ScoredWindow {
  row: FeatureRow;
  verdict: Verdict;
  /** Stored and published (threat ≥ scoring.minThreat, or a prediction). */
  publish: boolean;
}

/** A row's anomaly scores with the versions and quality of the set that produced them. */
interface KindScore {
  score: RowScore;
  models: Record<string, number>;
  quality: number;
  scaler?: ScalerParams;
}

const baselineOf = (b: number | undefined) => (b === undefined ? {} : { baseline: b });

/** Validation quality assumed where none is known (a model without metrics, the rule-only path). */
const UNKNOWN_QUALITY = 0.5;

export class ScoringService {
  private readonly scorers: Partial<Record<EntityKind, OnnxScorer>> = {};
  private active: ActiveSet = emptyActiveSet();
  private polled: Record<string, number> | undefined;
  private offsets = new Map<string, number>();
  private readonly forecasts: ForecastScoring;
  private readonly entities: EntityState;
  private readonly scan: ScanScoring;
  private tail: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;
  private readonly m;

  constructor(private readonly deps: ScoringServiceDeps) {
    const { config } = deps;
    this.now = deps.now ?? Date.now;
    const windowMs = config.features.windowSeconds * 1000;
    this.forecasts = new ForecastScoring(config.scoring, windowMs, deps.logger, (target, range) =>
      readTargetSeries(deps.db, target, { ...range, windowMs }),
    );
    this.entities = new EntityState(config.scoring.entityCacheSize);
    this.scan = new ScanScoring(config.scoring.scan);
    const r = deps.metrics;
    this.m = {
      windows: counter(r, 'foresight_windows_scored_total', 'Feature windows scored, by outcome', [
        'outcome',
      ]),
      verdicts: counter(r, 'foresight_verdicts_published_total', 'Verdicts stored and published'),
      errors: counter(r, 'foresight_scoring_errors_total', 'Scoring failures, by stage', ['stage']),
      seconds: histogram(r, 'foresight_scoring_seconds', 'Time to score, store and publish one batch'),
      version: gauge(r, 'foresight_model_active_version', 'Registry version in use, by model', ['model']),
      swaps: counter(r, 'foresight_model_swaps_total', 'Model sets swapped in'),
    };
  }

  /** Versions of the set new batches are scored with. */
  get versions(): Record<string, number> {
    return { ...this.active.versions };
  }

  /** Loads the active set, then polls the registry until close(). */
  async start(): Promise<void> {
    await this.refresh();
    const ms = this.deps.config.scoring.modelPollSeconds * 1000;
    this.timer = setInterval(() => void this.refresh(), ms);
    this.timer.unref();
  }

  /** The detector's hook: score, store, publish; never throws. */
  onWindows(rows: FeatureRow[]): Promise<void> {
    return this.enqueue(async () => {
      await this.process(rows);
    });
  }

  /** Checks the registry (and feedback offsets) and swaps in a changed set, between batches. */
  refresh(): Promise<void> {
    return this.enqueue(() => this.reload());
  }

  /** Scores, stores and publishes one batch; returns every window's verdict. */
  async process(rows: readonly FeatureRow[]): Promise<ScoredWindow[]> {
    const stop = this.m.seconds.startTimer();
    try {
      const scored = await this.scoreBatch(rows);
      const out = scored.filter((s) => s.publish).map((s) => s.verdict);
      if (out.length > 0) {
        try {
          await this.deps.verdicts.write(out);
        } catch (err) {
          this.m.errors.inc({ stage: 'store' });
          throw err;
        }
        try {
          await this.deps.publisher.publish(out);
          this.m.verdicts.inc(out.length);
        } catch (err) {
          // Stored but not published: the controller misses these; later windows are published.
          this.m.errors.inc({ stage: 'publish' });
          this.deps.logger.warn(`publishing ${out.length} verdicts failed: ${errorMessage(err)}`);
        }
      }
      return scored;
    } finally {
      stop();
    }
  }

  /**
   * Scores a batch with the current set (no store, no publishing): the evaluation's entry point.
   * Windows of a kind without an active anomaly set are left out (counted as `no-model`), except
   * source windows while the scan test is on: it needs no training, so before the first models
   * are promoted it scores sources alone (anomaly = its rarity, no model versions) — those where
   * it has evidence; the others are left out too.
   */
  async scoreBatch(input: readonly FeatureRow[]): Promise<ScoredWindow[]> {
    const cfg = this.deps.config.scoring;
    const rows = input
      .filter((r) => this.scorers[r.kind] !== undefined || (r.kind === 'source' && this.scan.enabled))
      .sort((a, b) => a.windowEnd - b.windowEnd);
    if (rows.length < input.length) this.m.windows.inc({ outcome: 'no-model' }, input.length - rows.length);
    if (rows.length === 0) return [];
    const scores = await this.anomalyScores(rows);
    const forecasts = await this.forecasts.assess(rows).catch((err: unknown) => {
      this.m.errors.inc({ stage: 'forecast' });
      this.deps.logger.warn(`forecasting failed: ${errorMessage(err)}`);
      return new Map<number, never>();
    });
    await this.seedHistory(rows);
    const windowMs = this.deps.config.features.windowSeconds * 1000;
    const scoredAt = this.now();
    const out: ScoredWindow[] = [];
    let unscored = 0;
    rows.forEach((row, i) => {
      const key = EntityState.key(row.kind, row.entity);
      const memory = this.entities.get(key) ?? this.entities.add(key, 0);
      const scan = this.scan.step(memory, row);
      // No models for its kind and nothing from the scan test: there is nothing to judge it by.
      if (this.scorers[row.kind] === undefined && !scan) {
        unscored++;
        return;
      }
      const aligned = row.windowStart % windowMs === 0 && row.windowEnd - row.windowStart === windowMs;
      const forecast = forecasts.get(i);
      const identity = this.deps.identities?.entity(row.entity);
      const s = scores[i]!;
      const verdict = scoreRow(
        {
          row,
          score: s.score,
          ...(scan ? { scan } : {}),
          ...(forecast ? { forecast } : {}),
          memory,
          offset: this.offsets.get(offsetKey(row.kind, row.entity)) ?? 0,
          ...baselineOf(this.active.baselines[row.kind].get(row.entity)),
          ...(identity ? { identity } : {}),
          peers: row.topPeers.map((p) => this.deps.identities?.peer(p.peer)),
          quality: s.quality,
          models: { ...s.models, ...this.forecasts.versions },
          ...(s.scaler ? { scaler: s.scaler } : {}),
          aligned,
          scoredAt,
        },
        cfg,
      );
      this.entities.record(memory, aligned ? { t: row.windowEnd, score: verdict.scores.threat } : undefined);
      const publish = verdict.scores.threat >= cfg.minThreat || verdict.prediction !== undefined;
      out.push({ row, verdict, publish });
    });
    if (unscored > 0) this.m.windows.inc({ outcome: 'no-model' }, unscored);
    this.m.windows.inc({ outcome: 'scored' }, out.length);
    return out;
  }

  /** Every row's anomaly scores from its kind's set, with that set's registry versions and quality. */
  private async anomalyScores(rows: readonly FeatureRow[]): Promise<KindScore[]> {
    const cfg = this.deps.config.scoring;
    // Rows of a kind without models (scored by the scan test alone): nothing from the models.
    const out: KindScore[] = rows.map(() => ({
      score: { detectors: [], anomaly: 0, agreement: 0 },
      models: {},
      quality: UNKNOWN_QUALITY,
    }));
    for (const kind of ['source', 'destination'] as const) {
      const scorer = this.scorers[kind];
      const idx = rows.flatMap((r, i) => (r.kind === kind ? [i] : []));
      if (!scorer || idx.length === 0) continue;
      const x = matrixFromRows(
        idx.map((i) => rows[i]!.vector),
        FEATURE_COUNT,
      );
      const batch = await scorer.score(x, { explain: { minAnomaly: cfg.explainMinAnomaly } });
      const models: Record<string, number> = Object.fromEntries(
        Object.entries(batch.models).map(([d, v]) => [anomalyModelName(kind, d as AnomalyDetectorName), v]),
      );
      const qualities = Object.keys(models).map((k) => this.active.quality[k] ?? UNKNOWN_QUALITY);
      // The baselines shape the anomaly too, so the verdict names their version.
      const baseline = this.active.versions[entityBaselineName(kind)];
      if (baseline !== undefined) models[entityBaselineName(kind)] = baseline;
      const quality = qualities.reduce((a, b) => a + b, 0) / Math.max(1, qualities.length);
      const scaler = this.active.anomaly[kind][0]?.params.scaler;
      idx.forEach((i, j) => {
        out[i] = { score: batch.rows[j]!, models, quality, ...(scaler ? { scaler } : {}) };
      });
    }
    return out;
  }

  /**
   * Entities seen for the first time get their window count from the store, and sources their
   * scan test rebuilt from their stored first contacts (scan-scoring.ts).
   */
  private async seedHistory(rows: readonly FeatureRow[]): Promise<void> {
    const missing = new Map<string, { kind: FeatureRow['kind']; entity: string }>();
    for (const r of rows) {
      const key = EntityState.key(r.kind, r.entity);
      if (!this.entities.has(key)) missing.set(key, { kind: r.kind, entity: r.entity });
    }
    if (missing.size === 0) return;
    const before = rows.reduce((m, r) => Math.min(m, r.windowStart), Infinity);
    const firstEnd = rows.reduce((m, r) => Math.min(m, r.windowEnd), Infinity);
    const cfg = this.deps.config;
    const since = before - cfg.training.historyDays * 86_400_000;
    let counts = new Map<string, number>();
    try {
      counts = await countEntityHistory(this.deps.db, [...missing.values()], {
        since,
        before,
        cap: cfg.scoring.confidence.fullHistoryWindows,
      });
    } catch (err) {
      this.m.errors.inc({ stage: 'history' });
      this.deps.logger.warn(`reading entity history failed: ${errorMessage(err)}`);
    }
    const sources: { entity: string; memory: EntityMemory }[] = [];
    for (const [key, e] of missing) {
      const memory = this.entities.add(key, counts.get(key) ?? 0);
      if (e.kind === 'source') sources.push({ entity: e.entity, memory });
    }
    try {
      await this.scan.seed(this.deps.db, sources, { since, before: firstEnd });
    } catch (err) {
      this.m.errors.inc({ stage: 'history' });
      this.deps.logger.warn(`reading first contacts failed: ${errorMessage(err)}`);
    }
  }

  private async reload(): Promise<void> {
    if (this.closed) return;
    const { registry, logger, db } = this.deps;
    try {
      const t = this.deps.config.scoring.thresholds;
      this.offsets = await loadThresholdOffsets(db, { step: t.falsePositiveStep, max: t.maxOffset });
      const versions = await registry.activeVersions();
      if (this.polled && sameVersions(this.polled, versions)) return;
      const set = await loadActiveSet(registry, logger);
      for (const kind of ['source', 'destination'] as const) {
        const models = set.anomaly[kind];
        const current = this.scorers[kind];
        if (models.length > 0) {
          if (current) await current.swap(models);
          else
            this.scorers[kind] = await OnnxScorer.create(models, {
              ...(this.deps.createSession ? { createSession: this.deps.createSession } : {}),
            });
        } else if (current) {
          await current.close();
          delete this.scorers[kind];
        }
      }
      await this.forecasts.load(set.bundles);
      this.active = set;
      this.polled = versions;
      this.m.swaps.inc();
      for (const [name, v] of Object.entries(set.versions)) this.m.version.set({ model: name }, v);
      logger.info('scoring with models', { versions: set.versions });
    } catch (err) {
      // The current set stays; the next poll tries again.
      this.m.errors.inc({ stage: 'load' });
      logger.error(`loading models failed: ${errorMessage(err)}`);
    }
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    const run = this.tail.then(fn).catch((err: unknown) => {
      this.m.errors.inc({ stage: 'batch' });
      this.deps.logger.error(`scoring failed: ${errorMessage(err)}`);
    });
    this.tail = run;
    return run;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.tail;
    this.closed = true;
    for (const kind of ['source', 'destination'] as const) {
      await this.scorers[kind]?.close();
      delete this.scorers[kind];
    }
    await this.forecasts.close();
  }
}
