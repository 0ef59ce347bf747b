/**
 * The detector's training loop: every `checkIntervalSeconds` it trains when the newest model is
 * older than `intervalMinutes`, when no model is active yet, or when analyst feedback has waited
 * `feedbackDelaySeconds` without a run taking it into account. Every replica runs the loop; the
 * trainer lease makes sure only one trains at a time (the others find it held and skip). Runs
 * never overlap within a process, and a failed run is logged and retried at the next check.
 */
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Db } from '../store/db.js';
import { countUnconsumedFeedback } from '../store/feedback-queries.js';
import type { ModelRegistry } from '../store/model-registry.js';
import type { Trainer, TrainReport } from './trainer.js';

export interface TrainingLoopDeps {
  db: Db;
  registry: ModelRegistry;
  trainer: Pick<Trainer, 'run'>;
  config: Config['training'];
  logger: Logger;
  now?: () => number;
}

export type TrainingReason = 'first model' | 'schedule' | 'feedback';

export class TrainingLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TrainReport | undefined> | undefined;
  private feedbackSince: number | undefined;
  private lastAttempt: number | undefined;
  private readonly now: () => number;

  constructor(private readonly deps: TrainingLoopDeps) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (this.timer || !this.deps.config.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.deps.config.checkIntervalSeconds * 1000);
    this.timer.unref();
    void this.tick();
  }

  /** Why a run is due now, or undefined. */
  async due(): Promise<TrainingReason | undefined> {
    const { registry, db, config } = this.deps;
    const models = await registry.list();
    const active = models.filter((m) => m.status === 'active');
    // Without any model yet, retry every ten checks: too little history fails fast but costs a read.
    const sinceAttempt = this.lastAttempt === undefined ? Infinity : this.now() - this.lastAttempt;
    if (active.length === 0)
      return sinceAttempt >= config.checkIntervalSeconds * 10_000 ? 'first model' : undefined;
    const newest = models.reduce((t, m) => Math.max(t, m.createdAt), 0);
    const pending = await countUnconsumedFeedback(db);
    if (pending === 0) this.feedbackSince = undefined;
    else this.feedbackSince ??= this.now();
    if (
      this.feedbackSince !== undefined &&
      this.now() - this.feedbackSince >= config.feedbackDelaySeconds * 1000
    ) {
      return 'feedback';
    }
    if (this.now() - newest >= config.intervalMinutes * 60_000) return 'schedule';
    return undefined;
  }

  /** One check; resolves with the run's report when it trained. */
  tick(): Promise<TrainReport | undefined> {
    this.running ??= this.check().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async check(): Promise<TrainReport | undefined> {
    const { logger } = this.deps;
    try {
      const reason = await this.due();
      if (!reason) return undefined;
      this.lastAttempt = this.now();
      const report = await this.deps.trainer.run({ reason: `training (${reason})` });
      if (!report.ran) logger.debug(`training skipped: lease held by ${report.heldBy ?? 'another replica'}`);
      else {
        this.feedbackSince = undefined;
        logger.info(`training (${reason}) finished in ${(report.ms / 1000).toFixed(1)} s`, {
          models: report.models.map((m) => `${m.name}:${m.decision}`),
        });
      }
      return report;
    } catch (err) {
      if ((err as { code?: unknown }).code === 'training-stopped') logger.info(errorMessage(err));
      else logger.error(`training failed: ${errorMessage(err)}`);
      return undefined;
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
