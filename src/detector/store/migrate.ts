/**
 * Applies the versioned migrations of migrations/index.ts to the configured schema. Each pending
 * migration runs once, in its own transaction, and is recorded in `schema_migrations`. On
 * PostgreSQL the transaction first takes a transaction-level advisory lock keyed by the schema,
 * so replicas starting together queue behind one another and the later ones find the work done;
 * PGlite is one process with one connection and needs no lock.
 */
import { ForesightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { quoteIdent, type Db, type Tx } from './db.js';
import { MIGRATIONS, type Migration } from './migrations/index.js';

export interface MigrateResult {
  /** Versions this call applied (empty when the schema was already current). */
  applied: number[];
  /** The schema's version afterwards. */
  version: number;
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new ForesightError(
        'store-migration-order',
        `migration "${m.name}" has version ${m.version}, expected ${i + 1}: versions must be 1, 2, 3 … in order`,
      );
    }
  });
}

async function lock(db: Db, tx: Tx): Promise<void> {
  if (db.kind !== 'postgres') return;
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`foresight.migrate.${db.schema}`]);
}

async function appliedVersions(q: Tx | Db, schema: string): Promise<Set<number>> {
  const { rows } = await q.query<{ version: number }>(
    `SELECT version FROM ${quoteIdent(schema)}.schema_migrations`,
  );
  return new Set(rows.map((r) => r.version));
}

export async function migrate(
  db: Db,
  logger: Logger,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrateResult> {
  checkOrder(migrations);
  const schema = quoteIdent(db.schema);
  // Two replicas running CREATE SCHEMA IF NOT EXISTS at once can still collide on the catalog's
  // unique index, so the bootstrap takes the lock too.
  await db.transaction(async (tx) => {
    await lock(db, tx);
    await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx.exec(
      `CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
         version    int PRIMARY KEY,
         name       text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
  });

  const known = await appliedVersions(db, db.schema);
  const newest = Math.max(0, ...known);
  if (newest > migrations.length) {
    // A newer release migrated this schema (rolling upgrade or rollback): its changes are
    // additive by rule, so this release keeps working on the tables it knows.
    logger.warn(
      `schema ${db.schema} is at version ${newest}, newer than this release knows (${migrations.length})`,
    );
  }

  const applied: number[] = [];
  for (const m of migrations) {
    if (known.has(m.version)) continue;
    const done = await db.transaction(async (tx) => {
      await lock(db, tx);
      // Another replica may have applied it while this one waited for the lock.
      if ((await appliedVersions(tx, db.schema)).has(m.version)) return false;
      await tx.exec(`SET LOCAL search_path TO ${schema}`);
      try {
        await tx.exec(m.sql);
      } catch (err) {
        throw new ForesightError(
          'store-migration',
          `migration ${m.version} (${m.name}) failed on schema ${db.schema}`,
          { cause: err },
        );
      }
      await tx.query(`INSERT INTO ${schema}.schema_migrations (version, name) VALUES ($1, $2)`, [
        m.version,
        m.name,
      ]);
      return true;
    });
    if (done) {
      applied.push(m.version);
      logger.info(`applied migration ${m.version} (${m.name}) to schema ${db.schema}`);
    }
  }
  return { applied, version: Math.max(newest, migrations.length) };
}
