/**
 * Training in a worker thread. A run reads up to `training.maxRows` windows, trains four detectors
 * per kind and the forecasters (the LSTM for tens of seconds): on the detector's own event loop
 * that stalls ingest, scoring and the health endpoints for as long. The worker opens its own
 * PostgreSQL pool from the same configuration and runs the same Trainer (lease included); its log
 * lines come back to the detector's logger and its report resolves `run()`. The scoring service
 * picks promoted versions up by its registry poll, as it does for any trainer.
 */
import type { Worker } from 'node:worker_threads';
import type { Config } from '../../config/schema.js';
import { ForesightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { spawnModuleWorker } from '../../util/module-worker.js';
import type { Trainer, TrainReport, TrainRequest } from './trainer.js';

export interface TrainerWorkerData {
  /** The configuration as plain data; the worker parses it again (store.url is non-enumerable, so passed apart). */
  config: unknown;
  storeUrl: string;
  holder: string;
  request: TrainRequest;
}

export type TrainerWorkerMessage =
  | { type: 'log'; level: string; message: string; meta: Record<string, unknown> }
  | { type: 'report'; report: TrainReport }
  | { type: 'error'; message: string };

export interface WorkerTrainerDeps {
  config: Config;
  holder: string;
  logger: Logger;
  /** Frees the trainer lease after an aborted run (the worker cannot: it is gone). */
  releaseLease?: (name: string, holder: string) => Promise<unknown>;
}

export class WorkerTrainer implements Pick<Trainer, 'run'> {
  private readonly running = new Set<Worker>();
  private readonly aborted = new WeakSet<Worker>();

  constructor(private readonly deps: WorkerTrainerDeps) {}

  /**
   * Stops runs in progress (shutdown: a run can take longer than a pod's grace period). Their
   * `run()` rejects, nothing they trained is promoted, and the lease is released for the next
   * trainer instead of running out its TTL.
   */
  async abort(): Promise<void> {
    const workers = [...this.running];
    this.running.clear();
    for (const w of workers) this.aborted.add(w);
    await Promise.all(workers.map((w) => w.terminate()));
    if (workers.length > 0 && this.deps.releaseLease) {
      await this.deps
        .releaseLease(this.deps.config.training.lease.name, this.deps.holder)
        .catch((err: unknown) =>
          this.deps.logger.warn(`releasing the trainer lease after an aborted run failed: ${String(err)}`),
        );
    }
  }

  run(request: TrainRequest = {}): Promise<TrainReport> {
    const { config, holder, logger } = this.deps;
    const data: TrainerWorkerData = { config, storeUrl: config.store.url, holder, request };
    return new Promise((resolve, reject) => {
      let worker: Worker;
      try {
        worker = spawnModuleWorker(import.meta.url, 'trainer-worker', data);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.running.add(worker);
      worker.once('exit', () => this.running.delete(worker));
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        fn();
      };
      worker.on('message', (m: TrainerWorkerMessage) => {
        if (m.type === 'log') logger.log(m.level, m.message, m.meta);
        else if (m.type === 'report') settle(() => resolve(m.report));
        else settle(() => reject(new ForesightError('training-failed', m.message)));
      });
      worker.once('error', (err) => settle(() => reject(err)));
      worker.once('exit', (code) =>
        settle(() =>
          reject(
            this.aborted.has(worker)
              ? new ForesightError('training-stopped', 'training stopped before it finished (shutdown)')
              : new ForesightError(
                  'training-failed',
                  `the training worker exited (code ${code}) without a report`,
                ),
          ),
        ),
      );
    });
  }
}
