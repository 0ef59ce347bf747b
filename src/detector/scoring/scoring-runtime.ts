/**
 * Everything the detector process runs besides ingest, assembled from configuration: the scoring
 * service (registry polling, hot swaps, verdicts stored and published on NATS) behind the
 * `onWindows` hook, and the training loop (lease-guarded, so one replica trains; in a worker
 * thread on PostgreSQL, training/worker-trainer.ts). Starting it
 * never fails ingest: the VERDICTS stream and the first model load are retried by the service's
 * own poll, and training errors are logged by the loop.
 */
import { hostname } from 'node:os';
import type { NatsConnection } from 'nats';
import type { Config } from '../../config/schema.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Registry } from '../../observability/metrics.js';
import type { IdentityIndex } from '../ingest/identity-index.js';
import type { FeatureStore } from '../store/feature-store.js';
import { Leases } from '../store/leases.js';
import { ModelRegistry } from '../store/model-registry.js';
import type { FeatureRow } from '../store/types.js';
import { VerdictStore } from '../store/verdict-store.js';
import { Trainer } from '../training/trainer.js';
import { TrainingLoop } from '../training/training-loop.js';
import { WorkerTrainer } from '../training/worker-trainer.js';
import { ScoringService } from './scoring-service.js';
import { ensureVerdictStream, NatsVerdictPublisher } from './verdict-publisher.js';

export interface ScoringRuntimeDeps {
  config: Config;
  logger: Logger;
  registry: Registry;
  nc: NatsConnection;
  store: FeatureStore;
  identities: IdentityIndex;
}

export interface ScoringRuntime {
  /** The detector's onWindows hook (undefined when scoring is disabled). */
  onWindows?: (rows: FeatureRow[]) => Promise<void>;
  stop(): Promise<void>;
}

export async function startScoringRuntime(deps: ScoringRuntimeDeps): Promise<ScoringRuntime> {
  const { config, logger, nc, store } = deps;
  const models = new ModelRegistry(store.db);
  let scoring: ScoringService | undefined;
  if (config.scoring.enabled) {
    const publish = config.scoring.publish;
    try {
      await ensureVerdictStream(await nc.jetstreamManager(), publish, logger);
    } catch (err) {
      // Publishing fails until the stream exists (the controller may create it); verdicts are stored anyway.
      logger.warn(`cannot ensure the verdict stream ${publish.stream}: ${errorMessage(err)}`);
    }
    scoring = new ScoringService({
      db: store.db,
      registry: models,
      verdicts: new VerdictStore(store.db, store.partitions),
      publisher: new NatsVerdictPublisher(nc.jetstream(), publish.subjectPrefix),
      identities: deps.identities,
      config,
      logger,
      metrics: deps.registry,
    });
    await scoring.start();
  }
  let loop: TrainingLoop | undefined;
  let workerTrainer: WorkerTrainer | undefined;
  if (config.training.enabled) {
    const holder = `detector@${hostname()}-${process.pid}`;
    // On PostgreSQL a run trains in its own worker thread (its own pool), so ingest, scoring and
    // the probes keep their event loop; an in-process PGlite store cannot be shared with one.
    const leases = new Leases(store.db);
    workerTrainer =
      config.store.kind === 'postgres'
        ? new WorkerTrainer({ config, holder, logger, releaseLease: (n, h) => leases.release(n, h) })
        : undefined;
    const trainer =
      workerTrainer ??
      new Trainer({
        db: store.db,
        registry: models,
        leases,
        config,
        logger,
        holder,
        progress: false,
      });
    loop = new TrainingLoop({ db: store.db, registry: models, trainer, config: config.training, logger });
    loop.start();
  }
  const service = scoring;
  return {
    ...(service ? { onWindows: (rows: FeatureRow[]) => service.onWindows(rows) } : {}),
    async stop() {
      // A run in a worker is stopped rather than awaited: shutdown must fit the grace period.
      // The loop's timer goes first, so no new run starts while the current one is stopped.
      const loopStopped = loop?.stop();
      await workerTrainer?.abort();
      await loopStopped;
      await service?.close();
    },
  };
}
