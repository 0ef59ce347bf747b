/**
 * Benchmark (prints figures, asserts nothing): FeatureStore.writeWindows throughput on PGlite and
 * on PostgreSQL (`test` database, throwaway schema), for 50k rows of FEATURE_COUNT-feature vectors
 * in batches, measured for a fresh insert, an identical rewrite and a changed rewrite.
 *
 *   node --import tsx test/detector/store/bench-write-windows.ts [rows] [batch] [pglite|postgres]
 */
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import type { FeatureRow } from '../../../src/detector/store/types.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { BACKENDS, dropAndClose, featureRow, openTestDb, storeConfig, type Backend } from './support.js';

const total = Number(process.argv[2] ?? 50_000);
const batchSize = Number(process.argv[3] ?? 5_000);
const only = process.argv[4] as Backend | undefined;

function rows(flows: number): FeatureRow[] {
  // 1000 entities × 50 one-minute windows from 2011-08-16T00:00Z: like a replay's flush.
  const out: FeatureRow[] = [];
  for (let i = 0; i < total; i++) {
    const entity = `ns${i % 20}/workload-${i % 1000}`;
    const start = new Date(Date.UTC(2011, 7, 16) + Math.floor(i / 1000) * 60_000).toISOString();
    const r = featureRow(entity, start, {
      flows,
      namespace: `ns${i % 20}`,
      workload: `workload-${i % 1000}`,
    });
    r.vector = r.vector.map((_, k) => Math.log1p((i * 31 + k * 7) % 1000) / 7);
    out.push(r);
  }
  return out;
}

async function pass(store: FeatureStore, data: FeatureRow[]): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < data.length; i += batchSize) {
    await store.writeWindows({ rows: data.slice(i, i + batchSize), newPeers: [] });
  }
  return (performance.now() - t0) / 1000;
}

for (const backend of BACKENDS) {
  if (only && backend !== only) continue;
  const config = storeConfig(backend);
  const db = await openTestDb(config);
  const store = new FeatureStore(db, config, {
    logger: silentLogger(),
    registry: createRegistry({ defaultMetrics: false }),
    ownsDb: false,
  });
  try {
    await store.migrate();
    const data = rows(10);
    const insert = await pass(store, data);
    const same = await pass(store, data);
    const changed = await pass(store, rows(11));
    const rate = (s: number) => `${Math.round(total / s).toLocaleString('en-US')} rows/s (${s.toFixed(2)} s)`;
    console.log(`${backend}: ${total} rows in batches of ${batchSize}, ${data[0]!.vector.length} features`);
    console.log(`  insert            ${rate(insert)}`);
    console.log(`  identical rewrite ${rate(same)}`);
    console.log(`  changed rewrite   ${rate(changed)}`);
  } finally {
    await store.close();
    await dropAndClose(db);
  }
}
