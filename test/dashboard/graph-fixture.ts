/**
 * A store seeded for the graph's performance measurement: `entities` workloads in 20 namespaces,
 * each with one address and `peers` busiest peers among the others (entities × peers edges), in
 * one aligned window before `now`, and verdicts for a share of them. Deterministic.
 */
import { FEATURE_COUNT } from '../../src/detector/features/schema.js';
import type { FeatureStore } from '../../src/detector/store/feature-store.js';
import type { FeatureRow } from '../../src/detector/store/types.js';
import type { VerdictStore } from '../../src/detector/store/verdict-store.js';
import { verdict } from './support.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export const entityName = (i: number) => `ns${i % 20}/workload-${i}`;
const token = (i: number) => `t4:${(0x0a000000 + i).toString(16).padStart(8, '0')}`;

export async function seedGraph(
  store: FeatureStore,
  verdicts: VerdictStore,
  o: { now: number; entities: number; peers: number; threatened: number; seed?: number },
): Promise<void> {
  const random = rng(o.seed ?? 7);
  const start = Math.floor(o.now / 60_000) * 60_000 - 60_000;
  const rows: FeatureRow[] = [];
  for (let i = 0; i < o.entities; i++) {
    const peers = new Set<number>();
    while (peers.size < o.peers) {
      const j = Math.floor(random() * o.entities);
      if (j !== i) peers.add(j);
    }
    rows.push({
      kind: 'source',
      entity: entityName(i),
      windowStart: start,
      windowEnd: start + 60_000,
      schemaVersion: 1,
      vector: new Array<number>(FEATURE_COUNT).fill(0),
      flows: 50 + Math.floor(random() * 500),
      bytes: 10_000,
      namespace: `ns${i % 20}`,
      workload: `workload-${i}`,
      addresses: [token(i)],
      topPeers: [...peers].map((j) => ({
        peer: token(j),
        flows: 1 + Math.floor(random() * 60),
        bytes: 1000,
      })),
      maliciousFlows: 0,
    });
  }
  for (let k = 0; k < rows.length; k += 1000)
    await store.writeWindows({ rows: rows.slice(k, k + 1000), newPeers: [] });
  await threaten(verdicts, o.now, o.threatened, 0, random);
}

/** Verdicts for `count` entities from `offset`: a live change of node colours. */
export async function threaten(
  verdicts: VerdictStore,
  now: number,
  count: number,
  offset: number,
  random = rng(11),
): Promise<void> {
  const end = Math.floor(now / 60_000) * 60_000 - 1000;
  const list = Array.from({ length: count }, (_, k) =>
    verdict(entityName(offset + k), end, 0.3 + 0.7 * random(), { id: `v-${offset + k}-${end}` }),
  );
  for (let k = 0; k < list.length; k += 1000) await verdicts.write(list.slice(k, k + 1000));
}
