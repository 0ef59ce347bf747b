/**
 * Test support for the store: a fresh Db per backend (PGlite in memory, or PostgreSQL's `test`
 * database with a schema unique to the run, dropped afterwards), a store config, feature rows,
 * and a logger whose lines the test can read.
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import winston from 'winston';
import { storeSchema } from '../../../src/config/schema.js';
import type { StoreConfig } from '../../../src/detector/store/connect.js';
import type { Db } from '../../../src/detector/store/db.js';
import { PgDb } from '../../../src/detector/store/pg-db.js';
import { PgliteDb } from '../../../src/detector/store/pglite-db.js';
import type { EntityKind, FeatureRow } from '../../../src/detector/store/types.js';
import { FEATURE_COUNT } from '../../../src/detector/features/schema.js';
import { silentLogger, type Logger } from '../../../src/observability/logger.js';

export const TEST_DB_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const BACKENDS = ['pglite', 'postgres'] as const;
export type Backend = (typeof BACKENDS)[number];

export function uniqueSchema(prefix = 't_store'): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

export function storeConfig(backend: Backend, overrides: Record<string, unknown> = {}): StoreConfig {
  return storeSchema.parse({ kind: backend, url: TEST_DB_URL, schema: uniqueSchema(), ...overrides });
}

export async function openTestDb(config: StoreConfig, logger: Logger = silentLogger()): Promise<Db> {
  if (config.kind === 'pglite') return PgliteDb.open({ schema: config.schema });
  return new PgDb({ url: config.url, schema: config.schema, poolSize: 4, logger });
}

/** Drops the run's schema on PostgreSQL (PGlite in memory just goes away) and closes. */
export async function dropAndClose(db: Db): Promise<void> {
  if (db.kind === 'postgres') await db.exec(`DROP SCHEMA IF EXISTS "${db.schema}" CASCADE`);
  await db.close();
}

export const ms = (iso: string): number => Date.parse(iso);

export function featureRow(
  entity: string,
  windowStartIso: string,
  over: Partial<FeatureRow> = {},
  kind: EntityKind = 'source',
): FeatureRow {
  const windowStart = ms(windowStartIso);
  return {
    kind,
    entity,
    windowStart,
    windowEnd: windowStart + 60_000,
    schemaVersion: 1,
    // Values a float4 stores exactly, so round trips compare equal.
    vector: Array.from({ length: FEATURE_COUNT }, (_, i) => i * 0.25),
    flows: 10,
    bytes: 12_345,
    addresses: ['ip:tok1'],
    topPeers: [{ peer: 'ip:tok9', flows: 7, bytes: 900 }],
    maliciousFlows: 0,
    ...over,
  };
}

/** A winston logger that keeps every line (message text) for assertions. */
export function capturingLogger(): { logger: Logger; lines: { level: string; message: string }[] } {
  const lines: { level: string; message: string }[] = [];
  const stream = new Writable({
    objectMode: true,
    write(info: { level: string; message: unknown }, _enc, done) {
      lines.push({ level: info.level, message: String(info.message) });
      done();
    },
  });
  const logger = winston.createLogger({
    level: 'debug',
    transports: [new winston.transports.Stream({ stream })],
  });
  return { logger, lines };
}
