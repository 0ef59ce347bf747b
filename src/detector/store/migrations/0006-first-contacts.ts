/**
 * Migration 6: what the scan test needs (docs/adr/0015-scan-detection.md). Feature rows carry a
 * source's first contacts with monitored services by outcome (not part of the feature vector, so
 * models and the schema version are unaffected); peer_seen also records
 * first contacts per service, so a restarted detector does not count a known service as new.
 */
import type { Migration } from './index.js';

export const migration0006: Migration = {
  version: 6,
  name: 'first-contacts',
  sql: `
ALTER TABLE features
  ADD COLUMN contacts_first_ok     int NOT NULL DEFAULT 0,
  ADD COLUMN contacts_first_failed int NOT NULL DEFAULT 0;

-- '' for a peer address, '<protocol>/<port>' for a service of a monitored destination entity.
ALTER TABLE peer_seen ADD COLUMN service text NOT NULL DEFAULT '';
ALTER TABLE peer_seen DROP CONSTRAINT peer_seen_pkey;
ALTER TABLE peer_seen ADD PRIMARY KEY (kind, entity, peer, service);
`,
};
