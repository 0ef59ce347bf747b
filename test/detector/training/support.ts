/**
 * Test support for training and scoring: configuration with small limits, an in-memory store
 * with the schema, and synthetic feature rows of two behaviours far apart (A: quiet web client,
 * B: noisy fan-out), seeded so every run sees the same rows.
 */
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { FEATURE_COUNT } from '../../../src/detector/features/schema.js';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { PgliteDb } from '../../../src/detector/store/pglite-db.js';
import type { Db } from '../../../src/detector/store/db.js';
import type { EntityKind, FeatureRow } from '../../../src/detector/store/types.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';

export const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
export const MINUTE = 60_000;

export function testConfig(overrides: Record<string, unknown> = {}): Config {
  return parseConfig({
    store: { kind: 'pglite', schema: 'foresight' },
    anonymization: { enabled: false },
    training: { minRows: 40, forecast: { maxTargets: 0 }, entityBaseline: { minWindows: 5 } },
    ...overrides,
  });
}

export async function memoryStore(config = testConfig()): Promise<{ db: Db; store: FeatureStore }> {
  const db = await PgliteDb.open({ schema: config.store.schema });
  const store = new FeatureStore(db, config.store, {
    logger: silentLogger(),
    registry: createRegistry({ defaultMetrics: false }),
    ownsDb: false,
  });
  await store.migrate();
  return { db, store };
}

/** mulberry32 */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Behaviour = 'A' | 'B';

const PROFILE: Record<Behaviour, number[]> = {
  // flows, bytes, packets, peers, ports, denied, tcp, udp, icmp, wk, eph, port-entropy, peer-entropy,
  // dur-mean, dur-std, failed, new-peer, beacon, bytes/flow, hour sin/cos, dow sin/cos
  A: [2.5, 9, 4, 1, 0.7, 0, 1, 0, 0, 1, 0, 0.2, 0.5, 5, 3, 0, 0.05, 0.1, 6.5, 0, 1, 0, 1],
  B: [5, 8, 6, 4, 3, 0.2, 0.6, 0.4, 0, 0.3, 0.5, 3, 4, 1, 1, 0.8, 0.9, 0, 3, 0, 1, 0, 1],
};

/** A feature vector around a behaviour's profile (time features fixed, so the scaler drops them). */
export function vector(b: Behaviour, random: () => number): number[] {
  return PROFILE[b].map((v, i) =>
    i >= 19 ? v : Math.max(0, v + (random() - 0.5) * (i < 5 || i >= 13 ? 0.6 : 0.1)),
  );
}

export function row(
  entity: string,
  windowStart: number,
  b: Behaviour,
  random: () => number,
  over: Partial<FeatureRow> = {},
  kind: EntityKind = 'source',
): FeatureRow {
  return {
    kind,
    entity,
    windowStart,
    windowEnd: windowStart + MINUTE,
    schemaVersion: 1,
    vector: vector(b, random),
    flows: b === 'A' ? 10 : 120,
    bytes: 5000,
    addresses: [entity.replace('ip:', '')],
    topPeers: [{ peer: 'tok-peer', flows: 5, bytes: 500 }],
    maliciousFlows: 0,
    ...over,
  };
}

/** `entities` entities, one window per minute each over [from, from + minutes), of behaviour `pick(entity index, minute)`. */
export function rows(
  entities: number,
  from: number,
  minutes: number,
  pick: (e: number, m: number) => Behaviour,
  seed = 1,
): FeatureRow[] {
  const random = seeded(seed);
  const out: FeatureRow[] = [];
  for (let m = 0; m < minutes; m++) {
    for (let e = 0; e < entities; e++)
      out.push(row(`ip:10.0.0.${e + 1}`, from + m * MINUTE, pick(e, m), random));
  }
  return out;
}

export { FEATURE_COUNT };
