/**
 * The training worker thread's entry (worker-trainer.ts starts it): one Trainer.run() on its own
 * store connection, log lines and the report posted to the parent, then the pool is closed and
 * the thread ends.
 */
import { Writable } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import winston from 'winston';
import { parseConfig } from '../../config/load.js';
import { errorMessage } from '../../errors.js';
import type { Db } from '../store/db.js';
import { Leases } from '../store/leases.js';
import { ModelRegistry } from '../store/model-registry.js';
import { PgDb } from '../store/pg-db.js';
import { Trainer } from './trainer.js';
import type { TrainerWorkerData, TrainerWorkerMessage } from './worker-trainer.js';

const data = workerData as TrainerWorkerData;
const raw = data.config as { store: Record<string, unknown> };
const config = parseConfig({ ...raw, store: { ...raw.store, url: data.storeUrl } });
const post = (m: TrainerWorkerMessage) => parentPort!.postMessage(m);

const toParent = new Writable({
  objectMode: true,
  write(info: Record<string, unknown>, _encoding, done) {
    const { level, message, ...meta } = JSON.parse(JSON.stringify(info)) as Record<string, unknown>;
    post({ type: 'log', level: String(level), message: String(message), meta });
    done();
  },
});
const logger = winston.createLogger({
  level: config.log.level,
  transports: [new winston.transports.Stream({ stream: toParent })],
});

let db: Db | undefined;
try {
  // A plain pool, not openStore's connect-and-retry: with PostgreSQL down the run fails at once
  // and the training loop tries again at its next check, as it does in-process.
  db = new PgDb({
    url: config.store.url,
    schema: config.store.schema,
    poolSize: 2,
    connectTimeoutMs: config.store.connectTimeoutMs,
    logger,
  });
  const trainer = new Trainer({
    db,
    registry: new ModelRegistry(db),
    leases: new Leases(db),
    config,
    logger,
    holder: data.holder,
    progress: false,
  });
  post({ type: 'report', report: await trainer.run(data.request) });
} catch (err) {
  post({ type: 'error', message: errorMessage(err) });
} finally {
  await db?.close();
}
