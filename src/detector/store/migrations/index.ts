/**
 * The ordered list of schema migrations. To change the schema, add a module here; never edit
 * one that has shipped (it has already run on someone's database).
 *
 * Adding migration N:
 * 1. Create `NNNN-short-name.ts` exporting `migrationNNNN: Migration` with `version: N`.
 * 2. Write plain SQL with unqualified table names: the runner sets search_path to the configured
 *    schema for the migration's transaction. Several statements are fine; no parameters.
 * 3. A new time-partitioned table: declare it `PARTITION BY RANGE (<time column>)` here and add
 *    it to PARTITIONED_TABLES in partitions.ts so partitions are created and retained for it.
 * 4. Append it to MIGRATIONS below. Versions must be 1, 2, 3 … without gaps.
 * Each migration runs once, in its own transaction, recorded in `schema_migrations`.
 */
import { migration0001 } from './0001-initial.js';
import { migration0002 } from './0002-models-verdicts-feedback.js';
import { migration0003 } from './0003-action-keys.js';
import { migration0004 } from './0004-model-rollbacks.js';
import { migration0005 } from './0005-dashboard.js';
import { migration0006 } from './0006-first-contacts.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  migration0001,
  migration0002,
  migration0003,
  migration0004,
  migration0005,
  migration0006,
];
