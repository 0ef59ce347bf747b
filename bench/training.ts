/**
 * npm run bench:training [-- --rows 50000] [--anomaly-only]
 *
 * What a training run costs the detector's event loop (ingest, scoring and probes share it):
 * the same run on real PostgreSQL once in-process (the Trainer on the main thread) and once in a
 * worker thread (WorkerTrainer, what the detector does on PostgreSQL), each with the event-loop
 * delay measured while it runs. Rows are the real CTU-13 windows of the test fixture, repeated
 * over consecutive hours with ±1 % jitter so entities have history and the forecasters a series.
 */
import { readFileSync } from 'node:fs';
import { hostname, cpus, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.js';
import { FeatureStore } from '../src/detector/store/feature-store.js';
import { Leases } from '../src/detector/store/leases.js';
import { ModelRegistry } from '../src/detector/store/model-registry.js';
import { PgDb } from '../src/detector/store/pg-db.js';
import type { EntityKind, FeatureRow } from '../src/detector/store/types.js';
import { ModelRng } from '../src/detector/models/random.js';
import { Trainer, type TrainReport } from '../src/detector/training/trainer.js';
import { WorkerTrainer } from '../src/detector/training/worker-trainer.js';
import { silentLogger } from '../src/observability/logger.js';
import { createRegistry } from '../src/observability/metrics.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    'anomaly-only': { type: 'boolean', default: false },
  },
});
const count = Number(values.rows);
const anomalyOnly = values['anomaly-only'];
const logger = silentLogger();
const config = parseConfig({
  store: {
    kind: 'postgres',
    url: 'postgres://postgres@127.0.0.1:5432/test',
    schema: `bench_train_${Date.now().toString(36)}`,
  },
  anonymization: { enabled: false },
});

function benchRows(): FeatureRow[] {
  const path = new URL('../test/fixtures/features/ctu13-windows.json', import.meta.url);
  const fixture = JSON.parse(readFileSync(path, 'utf8')) as {
    rows: [string, EntityKind, number, string, number, number[]][];
  };
  const first = Math.min(...fixture.rows.map((r) => r[2]));
  const last = Math.max(...fixture.rows.map((r) => r[2]));
  const span = Math.ceil((last - first + 60_000) / 3_600_000) * 3_600_000;
  const rng = new ModelRng(2024);
  const out: FeatureRow[] = [];
  for (let copy = 0; out.length < count; copy++) {
    for (const [entity, kind, windowEnd, , , vector] of fixture.rows) {
      if (out.length >= count) break;
      const end = windowEnd + copy * span;
      out.push({
        kind,
        entity,
        windowStart: end - 60_000,
        windowEnd: end,
        schemaVersion: 1,
        vector: vector.map((x) => x * (1 + (rng.next() - 0.5) * 0.02)),
        flows: 1,
        bytes: 0,
        addresses: [],
        topPeers: [],
        maliciousFlows: 0,
      });
    }
  }
  return out;
}

async function measured(run: () => Promise<TrainReport>) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  const report = await run();
  const seconds = (performance.now() - started) / 1000;
  delay.disable();
  return {
    seconds,
    ran: report.ran,
    models: report.models.filter((m) => m.decision === 'promoted').length,
    p99: delay.percentile(99) / 1e6,
    max: delay.max / 1e6,
  };
}

const db = new PgDb({ url: config.store.url, schema: config.store.schema, poolSize: 4, logger });
const store = new FeatureStore(db, config.store, { logger, registry: createRegistry(), ownsDb: false });
await store.migrate();
const rows = benchRows();
for (let i = 0; i < rows.length; i += 5000)
  await store.writeWindows({ rows: rows.slice(i, i + 5000), newPeers: [] });

const request = { reason: 'benchmark', anomalyOnly };
const inProcess = await measured(() =>
  new Trainer({
    db,
    registry: new ModelRegistry(db),
    leases: new Leases(db),
    config,
    logger,
    holder: `bench@${hostname()}`,
    progress: false,
  }).run(request),
);
const inWorker = await measured(() =>
  new WorkerTrainer({ config, holder: `bench@${hostname()}`, logger }).run(request),
);

console.log(
  `training on ${rows.length} real CTU-13 windows (${anomalyOnly ? 'anomaly detectors only' : 'all models'}), PostgreSQL 15`,
);
console.log('where          run      promoted  event-loop delay p99 / max');
for (const [name, r] of [
  ['in-process', inProcess],
  ['worker', inWorker],
] as const) {
  console.log(
    `${name.padEnd(14)} ${r.seconds.toFixed(1).padStart(5)} s  ${String(r.models).padStart(8)}  ` +
      `${r.p99.toFixed(0)} ms / ${r.max.toFixed(0)} ms`,
  );
}
console.log(
  `machine        ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);
await db.exec(`DROP SCHEMA IF EXISTS "${config.store.schema}" CASCADE`);
await store.close();
await db.close();
