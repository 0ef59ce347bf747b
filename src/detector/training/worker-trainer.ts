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

export class WorkerTrainer implements Pick<Trainer, 'run'> {
  constructor(private readonly deps: { config: Config; holder: string; logger: Logger }) {}

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
            new ForesightError(
              'training-failed',
              `the training worker exited (code ${code}) without a report`,
            ),
          ),
        ),
      );
    });
  }
}
