/**
 * Rollups fed by the writer (the demo) answer as the store does: the same windows and verdicts
 * written to PGlite and fed to a second Rollups give the same traffic, namespace traffic, scores,
 * top talkers and connection graph — and the fed one never queries.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connectionGraph, type Graph } from '../../../src/detector/store/dashboard-queries.js';
import type { Db } from '../../../src/detector/store/db.js';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { VerdictStore } from '../../../src/detector/store/verdict-store.js';
import type { FeatureRow } from '../../../src/detector/store/types.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { Rollups } from '../../../src/dashboard/server/rollups.js';
import { dropAndClose, featureRow, openTestDb, storeConfig } from '../../detector/store/support.js';
import { verdict } from '../support.js';

const W = 60_000;
const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
const iso = (t: number) => new Date(t).toISOString();

/** Six steps of traffic: workloads in two namespaces and an outside address, both kinds, plus sliding windows. */
function windows(): FeatureRow[] {
  const rows: FeatureRow[] = [];
  for (let s = 0; s < 6; s++) {
    const t = T0 + s * W;
    const src = (entity: string, namespace: string | undefined, flows: number, peers: string[]) =>
      featureRow(entity, iso(t), {
        flows,
        bytes: flows * 100,
        ...(namespace ? { namespace } : {}),
        addresses: [`t4:${entity.length.toString(16).padStart(8, '0')}`],
        topPeers: peers.map((peer, i) => ({ peer, flows: flows - i, bytes: 50 * (flows - i) })),
      });
    rows.push(
      src('shop/api', 'shop', 10 + s, ['t4:000000aa', 'ip:t4:000000bb']),
      src('shop/cart', 'shop', 4, ['t4:000000aa']),
      src('platform/ingress', 'platform', 20 - s, ['t4:0000000c']),
      src('ip:t4:000000bb', undefined, 3 + (s % 2), ['t4:0000000f']),
      featureRow(
        'shop/db',
        iso(t),
        { flows: 14, namespace: 'shop', addresses: ['t4:000000aa'] },
        'destination',
      ),
      // A sliding window (starts 10 s in): never counted.
      featureRow('shop/api', iso(t + 10_000), { flows: 999, namespace: 'shop' }),
    );
  }
  return rows;
}

/** Scores a float4 column keeps exactly, so the store's answers compare equal. */
function verdicts() {
  return [
    verdict('shop/api', T0 + 1 * W + 30_000, 0.375),
    verdict('shop/api', T0 + 2 * W + 5_000, 0.875),
    verdict('shop/cart', T0 + 2 * W + 50_000, 0.625),
    verdict('ip:t4:000000bb', T0 + 4 * W + 1, 0.5625),
  ].map((v, i) => ({ ...v, id: `v${i}` }));
}

/** A Db that fails every statement: what the fed rollups must never need. */
const noStore: Db = {
  kind: 'pglite',
  schema: 'none',
  query: () => Promise.reject(new Error('queried the store')),
  exec: () => Promise.reject(new Error('queried the store')),
  transaction: () => Promise.reject(new Error('queried the store')),
  copyRows: () => Promise.reject(new Error('queried the store')),
  close: () => Promise.resolve(),
};

const sortGraph = (g: Graph) => ({
  nodes: [...g.nodes].sort((a, b) => a.id.localeCompare(b.id)),
  edges: [...g.edges].sort((a, b) => `${a.source}>${a.target}`.localeCompare(`${b.source}>${b.target}`)),
  truncated: g.truncated,
});

describe('rollups fed by the writer', () => {
  let db: Db;
  let stored: Rollups;
  let fed: Rollups;
  const now = T0 + 6 * W + 5_000;

  before(async () => {
    const cfg = storeConfig('pglite');
    db = await openTestDb(cfg);
    const store = new FeatureStore(db, cfg, {
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
      ownsDb: false,
    });
    await store.migrate();
    await store.writeWindows({ rows: windows(), newPeers: [] });
    await new VerdictStore(db, store.partitions).write(verdicts());
    stored = new Rollups(db, W, 0, 0.5);
    fed = new Rollups(noStore, W, 0, 0.5);
    fed.feedWindows(windows());
    fed.feedVerdicts(
      verdicts().map((v) => ({
        entity: v.entity.key,
        windowEnd: v.window.end,
        threat: v.scores.threat,
        anomaly: v.scores.anomaly,
      })),
    );
  });
  after(async () => {
    await dropAndClose(db);
  });

  const spans = [
    { name: 'the whole span', from: T0, to: now },
    { name: 'the middle steps', from: T0 + 2 * W, to: T0 + 4 * W },
    { name: 'a span starting between steps', from: T0 + W + 20_000, to: now },
  ];

  for (const s of spans) {
    it(`cluster traffic over ${s.name}`, async () => {
      assert.deepEqual(
        await fed.clusterTraffic(s.from, s.to, now),
        await stored.clusterTraffic(s.from, s.to, now),
      );
    });

    it(`namespace traffic over ${s.name}`, async () => {
      for (const ns of ['shop', 'platform', 'none'])
        assert.deepEqual(
          await fed.namespaceTraffic(ns, s.from, s.to),
          await stored.namespaceTraffic(ns, s.from, s.to),
        );
    });

    it(`scores per step over ${s.name}`, async () => {
      assert.deepEqual(await fed.scoreSteps(s.from, s.to, now), await stored.scoreSteps(s.from, s.to, now));
    });
  }

  // Threats are kept per step: spans on step boundaries read exactly as the store.
  it('top talkers with their highest threat', async () => {
    const [a, b] = [await fed.topTalkers(T0, now, now, 3), await stored.topTalkers(T0, now, now, 3)];
    assert.deepEqual(a, b);
    assert.deepEqual(
      a.map((t) => [t.entity, t.maxThreat]),
      [
        ['platform/ingress', 0],
        ['shop/api', 0.875],
        ['shop/cart', 0.625],
      ],
    );
  });

  it('the connection graph', async () => {
    for (const maxEdges of [100, 2]) {
      const g = fed.graph(T0, now, maxEdges);
      assert.ok(g, 'answered from memory');
      const expected = await connectionGraph(db, { from: T0, to: now, windowMs: W, maxEdges });
      if (maxEdges >= expected.edges.length + expected.truncated)
        assert.deepEqual(sortGraph(g), sortGraph(expected));
      else {
        assert.equal(g.edges.length, maxEdges);
        assert.equal(g.truncated, expected.truncated);
        assert.deepEqual(
          g.edges.map((e) => e.flows),
          expected.edges.map((e) => e.flows),
        );
      }
    }
  });

  it('reads the store for spans before the first fed step', async () => {
    await assert.rejects(fed.clusterTraffic(T0 - 10 * W, now, now), /queried the store/);
    assert.equal(fed.graph(T0 - 10 * W, now, 100), undefined);
  });
});
