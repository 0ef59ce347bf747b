/**
 * Migration 4: marks model versions taken out by a rollback, so that a later rollback never
 * returns to a version an operator already rolled away from (docs/adr/0011).
 */
import type { Migration } from './index.js';

export const migration0004: Migration = {
  version: 4,
  name: 'model-rollbacks',
  sql: `
ALTER TABLE models ADD COLUMN rolled_back_at timestamptz;
CREATE INDEX models_name_promoted ON models (name, promoted_at);
`,
};
