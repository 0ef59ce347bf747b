/**
 * One training run: feature history and feedback → training set → every model trained →
 * each candidate validated on the time-ordered holdout (and on feedback) against the active
 * version on the same rows → promoted or rejected in the registry, with its metrics and a note.
 * `run()` holds the trainer lease for the duration, so across replicas only one trains.
 * Decisions: docs/adr/0011-model-registry-training-feedback.md.
 */
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { createProgress, type Progress } from '../../observability/progress.js';
import { FEATURE_SCHEMA } from '../features/schema.js';
import { ANOMALY_DETECTORS } from '../models/anomaly-models.js';
import type { Db } from '../store/db.js';
import { listFeedback, markFeedbackConsumed, type FeedbackRow } from '../store/feedback-queries.js';
import { withLease, type Leases } from '../store/leases.js';
import type { ModelRegistry } from '../store/model-registry.js';
import { newestWindowEnd, readEntityWindows, readRecentRows } from '../store/training-queries.js';
import type { FeatureRow } from '../store/types.js';
import { trainAnomalySet } from './anomaly-training.js';
import { trainForecasters, type ForecastBundleParams, type ForecastModelKind } from './forecast-training.js';
import { anomalyModelName } from './model-names.js';
import { buildTrainingSet, type TrainingSet } from './training-set.js';
import { decidePromotion } from './validation.js';

export interface TrainerDeps {
  db: Db;
  registry: ModelRegistry;
  leases: Leases;
  config: Config;
  logger: Logger;
  /** Name of this process in the lease. */
  holder: string;
  /** Progress bars on a terminal (default: when stderr is a TTY). */
  progress?: boolean;
}

export interface TrainRequest {
  /** Train on windows ending at or before this (default: everything in the store). */
  until?: number;
  from?: number;
  /** Why this run happens (schedule, feedback, manual), recorded in the notes. */
  reason?: string;
  /** Skip the forecasters (evaluation of short captures, fast tests). */
  anomalyOnly?: boolean;
}

export interface ModelOutcome {
  name: string;
  version?: number;
  decision: 'promoted' | 'rejected' | 'skipped';
  quality?: number;
  activeVersion?: number;
  activeQuality?: number;
  reason: string;
}

export interface TrainReport {
  ran: boolean;
  /** Who held the lease when this run could not. */
  heldBy?: string;
  rows?: { train: number; holdout: number; truePositive: number; falsePositive: number };
  span?: { from: number; to: number; cut: number };
  models: ModelOutcome[];
  feedbackUsed: number;
  ms: number;
}

function feedbackNote(feedback: readonly FeedbackRow[]): string | undefined {
  const fresh = feedback.filter((f) => f.consumedAt === undefined);
  if (fresh.length === 0) return undefined;
  const tp = fresh.filter((f) => f.verdict === 'TruePositive').length;
  return `retrained after feedback ${fresh.map((f) => `#${f.id}`).join(', ')} (${tp} true, ${fresh.length - tp} false positive)`;
}

export class Trainer {
  constructor(private readonly deps: TrainerDeps) {}

  /** Trains under the lease; `ran: false` when another replica holds it. */
  async run(request: TrainRequest = {}): Promise<TrainReport> {
    const { leases, config, holder, logger } = this.deps;
    const started = performance.now();
    const result = await withLease(
      leases,
      config.training.lease.name,
      holder,
      config.training.lease.ttlSeconds * 1000,
      () => this.trainNow(request),
      (err) => logger.warn(`renewing the trainer lease failed: ${errorMessage(err)}`),
    );
    if (result.ran) return result.value;
    return {
      ran: false,
      ...(result.holder ? { heldBy: result.holder } : {}),
      models: [],
      feedbackUsed: 0,
      ms: performance.now() - started,
    };
  }

  /** Trains without taking the lease (callers that already coordinate, tests). */
  async trainNow(request: TrainRequest = {}): Promise<TrainReport> {
    const started = performance.now();
    const { db, config, logger } = this.deps;
    const t = config.training;
    const to = request.until ?? (await newestWindowEnd(db)) ?? 0;
    const from = request.from ?? to - t.historyDays * 86_400_000;
    const history = (
      await readRecentRows(db, { from, to, schemaVersion: FEATURE_SCHEMA.version, limit: t.maxRows })
    ).filter((r) => r.windowEnd <= to);
    const feedback = await listFeedback(db);
    const feedbackRows: FeatureRow[] = [];
    for (const f of feedback) {
      if (f.windowStart === undefined && f.windowEnd === undefined) continue; // whole-entity: history only
      const rows = await readEntityWindows(db, f.kind, f.entity, {
        ...(f.windowStart === undefined ? {} : { from: f.windowStart }),
        ...(f.windowEnd === undefined ? {} : { to: f.windowEnd }),
        schemaVersion: FEATURE_SCHEMA.version,
      });
      feedbackRows.push(...rows.filter((r) => r.windowEnd <= to));
    }
    const set = buildTrainingSet(history, feedback, feedbackRows, {
      holdoutShare: t.holdoutShare,
      falsePositiveWeight: t.falsePositiveWeight,
    });
    const report: TrainReport = {
      ran: true,
      rows: {
        train: set.train.length,
        holdout: set.holdout.length,
        truePositive: set.truePositive.length,
        falsePositive: set.falsePositive.length,
      },
      span: { ...set.span, cut: set.cut },
      models: [],
      feedbackUsed: feedback.length,
      ms: 0,
    };
    if (set.train.length < t.minRows || set.holdout.length === 0) {
      report.models.push({
        name: 'all',
        decision: 'skipped',
        reason: `too few rows (${set.train.length} to train, ${set.holdout.length} to validate; need ${t.minRows})`,
      });
      report.ms = performance.now() - started;
      return report;
    }
    const note = [request.reason, feedbackNote(feedback)].filter((s) => s).join('; ') || undefined;
    const progress = createProgress('train', ANOMALY_DETECTORS.length * 2 * config.features.entities.length, {
      unit: 'steps',
      ...(this.deps.progress === undefined ? {} : { enabled: this.deps.progress }),
    });
    try {
      report.models.push(...(await this.trainAnomaly(set, note, progress)));
      if (!request.anomalyOnly) report.models.push(...(await this.trainForecast(set, to, note, progress)));
    } finally {
      progress.stop();
    }
    await markFeedbackConsumed(
      db,
      feedback.filter((f) => f.consumedAt === undefined).map((f) => f.id),
    );
    report.ms = performance.now() - started;
    for (const m of report.models) {
      logger.info(
        `model ${m.name}${m.version === undefined ? '' : ` v${m.version}`} ${m.decision}: ${m.reason}`,
      );
    }
    return report;
  }

  private async trainAnomaly(
    set: TrainingSet,
    note: string | undefined,
    progress: Progress,
  ): Promise<ModelOutcome[]> {
    const kinds = this.deps.config.features.entities;
    const outcomes: ModelOutcome[] = [];
    progress.setTotal(ANOMALY_DETECTORS.length * 2 * kinds.length);
    for (const [k, kind] of kinds.entries()) {
      const of = (rows: readonly FeatureRow[]) => rows.filter((r) => r.kind === kind);
      const part: TrainingSet = {
        ...set,
        train: of(set.train),
        holdout: of(set.holdout),
        truePositive: of(set.truePositive),
        falsePositive: of(set.falsePositive),
      };
      const base = k * ANOMALY_DETECTORS.length * 2;
      if (part.train.length < this.deps.config.training.minRows || part.holdout.length === 0) {
        outcomes.push({
          name: anomalyModelName(kind, 'all'),
          decision: 'skipped',
          reason: `too few ${kind} rows (${part.train.length} to train, ${part.holdout.length} to validate)`,
        });
        progress.update(base + ANOMALY_DETECTORS.length * 2);
        continue;
      }
      outcomes.push(
        ...(await trainAnomalySet(this.deps, kind, part, note, (done) => progress.update(base + done))),
      );
    }
    return outcomes;
  }

  private async trainForecast(
    set: TrainingSet,
    to: number,
    note: string | undefined,
    progress: Progress,
  ): Promise<ModelOutcome[]> {
    const { registry, config, db } = this.deps;
    const f = config.training.forecast;
    const names: Record<ForecastModelKind, string> = { additive: 'forecast-additive', lstm: 'forecast-lstm' };
    const activeRows = await registry.loadActive(Object.values(names));
    const active: Partial<Record<ForecastModelKind, ForecastBundleParams>> = {};
    for (const v of activeRows) {
      const p = v.params as ForecastBundleParams;
      if (p.kind === 'forecast-bundle') active[p.model] = p;
    }
    const base = ANOMALY_DETECTORS.length * 2 * config.features.entities.length;
    const bundles = await trainForecasters(db, {
      from: set.span.from,
      to,
      windowMs: config.features.windowSeconds * 1000,
      maxTargets: f.maxTargets,
      minPoints: f.minPoints,
      lstm: f.lstm,
      seed: config.training.seed,
      active,
      onProgress: (done, total) => {
        progress.setTotal(base + total);
        progress.update(base + done);
      },
    });
    const outcomes: ModelOutcome[] = [];
    for (const kind of ['additive', 'lstm'] as const) {
      const name = names[kind];
      const bundle = bundles[kind];
      if (!bundle) {
        outcomes.push({ name, decision: 'skipped', reason: 'no series long enough to forecast' });
        continue;
      }
      const current = activeRows.find((v) => v.name === name);
      const decision = decidePromotion(bundle.quality, bundle.activeQuality, config.training.promotion);
      const version = await registry.saveCandidate({
        name,
        params: bundle.params,
        featureSchemaVersion: FEATURE_SCHEMA.version,
        trainedFrom: set.span.from,
        trainedTo: to,
        trainingRows: bundle.points,
        metrics: {
          quality: bundle.quality,
          targets: bundle.params.targets.length,
          ...(bundle.activeQuality === undefined ? {} : { activeQuality: bundle.activeQuality }),
        },
        ...(note ? { note } : {}),
      });
      if (decision.promote) await registry.promote(name, version, note);
      else await registry.reject(name, version, [note, decision.reason].filter((s) => s).join('; '));
      outcomes.push({
        name,
        version,
        decision: decision.promote ? 'promoted' : 'rejected',
        quality: bundle.quality,
        ...(current ? { activeVersion: current.version } : {}),
        ...(bundle.activeQuality === undefined ? {} : { activeQuality: bundle.activeQuality }),
        reason: decision.reason,
      });
    }
    return outcomes;
  }
}
