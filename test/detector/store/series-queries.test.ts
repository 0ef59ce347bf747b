/**
 * Per-minute series from sliding feature windows, on both backends (PGlite in memory, and
 * PostgreSQL's `test` database in a schema of its own).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Db } from '../../../src/detector/store/db.js';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import {
  metricSeries,
  readAllEntitySeries,
  readAllNamespaceSeries,
  readEntitySeries,
  readNamespaceSeries,
  readServiceSeries,
} from '../../../src/detector/store/series-queries.js';
import type { EntityKind, FeatureRow } from '../../../src/detector/store/types.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { BACKENDS, dropAndClose, featureRow, ms, openTestDb, storeConfig, type Backend } from './support.js';

const T0 = ms('2024-05-01T12:00:00Z');
const BUCKET = 10_000;
const WINDOW = 60_000;

/** Flows per 10 s bucket of one entity over five minutes: bucket b has `f(b)` flows. */
function slidingRows(
  entity: string,
  kind: EntityKind,
  f: (bucket: number) => number,
  over: Partial<FeatureRow> = {},
): FeatureRow[] {
  const rows: FeatureRow[] = [];
  // Windows ending every 10 s from T0+60 s to T0+5 min, each summing its six buckets.
  for (let end = T0 + WINDOW; end <= T0 + 5 * WINDOW; end += BUCKET) {
    let flows = 0;
    for (let b = (end - WINDOW - T0) / BUCKET; b < (end - T0) / BUCKET; b++) flows += f(b);
    if (flows === 0) continue;
    const start = new Date(end - WINDOW).toISOString();
    rows.push(featureRow(entity, start, { flows, bytes: flows * 100, ...over }, kind));
  }
  return rows;
}

function suite(backend: Backend): void {
  const tag = backend === 'postgres' ? ' [integration]' : '';
  const it = (name: string, fn: () => Promise<void>): void => {
    test(`${name}${tag}`, fn);
  };

  describe(`series queries on ${backend}${tag}`, () => {
    let db: Db;
    let store: FeatureStore;
    const range = { from: T0, to: T0 + 6 * WINDOW };

    before(async () => {
      const config = storeConfig(backend);
      db = await openTestDb(config);
      store = new FeatureStore(db, config, {
        logger: silentLogger(),
        registry: createRegistry({ defaultMetrics: false }),
        ownsDb: false,
      });
      await store.migrate();
      const ns = { namespace: 'shop' };
      await store.writeWindows({
        rows: [
          // shop/web: bucket b has b+1 flows in minutes 0–1, nothing in minute 2, 2 per bucket after.
          ...slidingRows('shop/web', 'source', (b) => (b < 12 ? b + 1 : b < 18 ? 0 : 2), {
            ...ns,
            workload: 'web',
          }),
          ...slidingRows('shop/cart', 'source', () => 1, { ...ns, workload: 'cart' }),
          ...slidingRows('other/db', 'source', () => 5, { namespace: 'other', workload: 'db' }),
          // The same workloads seen as destinations must not leak into source series.
          ...slidingRows('shop/web', 'destination', () => 7, { ...ns, workload: 'web' }),
          ...slidingRows('shop/api', 'destination', () => 3, { ...ns, workload: 'api' }),
          // A 30 s window starting on a minute is not part of the 60 s series.
          featureRow('shop/web', '2024-05-01T12:02:00Z', { windowEnd: T0 + 2 * WINDOW + 30_000, flows: 999 }),
        ],
        newPeers: [],
      });
    });

    after(async () => {
      await store.close();
      await dropAndClose(db);
    });

    it('an entity: one point per minute, the non-overlapping windows only, gaps as 0', async () => {
      const s = await readEntitySeries(db, 'shop/web', range);
      assert.equal(s.startMs, T0);
      assert.equal(s.stepMs, WINDOW);
      // Minute 0: 1+…+6 = 21; minute 1: 7+…+12 = 57; minute 2: 0; minutes 3–4: 12; minute 5: no window.
      assert.deepEqual(s.flows, [21, 57, 0, 12, 12, 0]);
      assert.deepEqual(s.bytes, [2100, 5700, 0, 1200, 1200, 0]);
      assert.deepEqual(metricSeries(s, 'flows').values, s.flows);
    });

    it('a namespace sums its entities of one kind', async () => {
      const s = await readNamespaceSeries(db, 'shop', range);
      assert.deepEqual(s.flows, [27, 63, 6, 18, 18, 0]);
      const dst = await readNamespaceSeries(db, 'shop', { ...range, kind: 'destination' });
      assert.deepEqual(dst.flows, [60, 60, 60, 60, 60, 0]);
    });

    it('a service sums the entities behind it (destination by default)', async () => {
      const s = await readServiceSeries(db, ['shop/web', 'shop/api'], range);
      assert.deepEqual(s.flows, [60, 60, 60, 60, 60, 0]);
      const none = await readServiceSeries(db, [], range);
      assert.deepEqual(none.flows, [0, 0, 0, 0, 0, 0]);
    });

    it('ranges start on a minute and an unknown entity reads as zeros', async () => {
      const s = await readEntitySeries(db, 'shop/web', { from: T0 + 1, to: T0 + 3 * WINDOW });
      assert.equal(s.startMs, T0 + WINDOW);
      assert.deepEqual(s.flows, [57, 0]);
      assert.deepEqual((await readEntitySeries(db, 'nobody/here', range)).flows, [0, 0, 0, 0, 0, 0]);
    });

    it('all entities and all namespaces at once, on one grid', async () => {
      const entities = await readAllEntitySeries(db, range);
      assert.deepEqual([...entities.keys()].sort(), ['other/db', 'shop/cart', 'shop/web']);
      assert.deepEqual(entities.get('shop/cart')?.flows, [6, 6, 6, 6, 6, 0]);
      const namespaces = await readAllNamespaceSeries(db, range);
      assert.deepEqual([...namespaces.keys()].sort(), ['other', 'shop']);
      assert.deepEqual(namespaces.get('other')?.flows, [30, 30, 30, 30, 30, 0]);
    });
  });
}

for (const backend of BACKENDS) suite(backend);
