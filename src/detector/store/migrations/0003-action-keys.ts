/**
 * Migration 3: a deterministic key on audit rows, so the controller can write an action
 * decision again after a crash (it cannot know whether the first write landed) without
 * recording it twice. Rows without a key (written by hand, older releases) stay allowed.
 */
import type { Migration } from './index.js';

export const migration0003: Migration = {
  version: 3,
  name: 'action-keys',
  sql: `
ALTER TABLE actions ADD COLUMN key text;
CREATE UNIQUE INDEX actions_key ON actions (key) WHERE key IS NOT NULL;
`,
};
