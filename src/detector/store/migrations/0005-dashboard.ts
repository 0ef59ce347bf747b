/**
 * Migration 5: what the dashboard and the demo's in-process Monitor engine keep in the store when
 * there is no cluster — incidents (shaped like ThreatIncident objects: spec and status as jsonb),
 * custom alert rules, and the alert firings they produced. In a cluster, incidents and rules live
 * in ThreatIncident and ThreatPolicy objects instead (docs/adr/0013-dashboard.md).
 */
import type { Migration } from './index.js';

export const migration0005: Migration = {
  version: 5,
  name: 'dashboard',
  sql: `
CREATE TABLE incidents (
  -- namespace/name, derived from the policy and the entity like a ThreatIncident's name.
  key         text        PRIMARY KEY,
  policy      text        NOT NULL,
  entity_kind text        NOT NULL CHECK (entity_kind IN ('source', 'destination')),
  entity      text        NOT NULL,
  phase       text        NOT NULL,
  threat      real        NOT NULL DEFAULT 0,
  spec        jsonb       NOT NULL,
  status      jsonb       NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX incidents_updated_at ON incidents (updated_at);
CREATE INDEX incidents_entity ON incidents (entity);

CREATE TABLE alert_rules (
  id             bigserial   PRIMARY KEY,
  -- namespace/name of the policy the rule belongs to (its pod selector scopes the rule).
  policy         text        NOT NULL,
  name           text        NOT NULL,
  -- Glob over entity keys (shop/*, ip:*); NULL: every entity the policy covers.
  entity         text,
  -- threat | anomaly | impact | confidence | detector:<name> | flows | bytes
  metric         text        NOT NULL,
  feature        text,
  threshold      double precision NOT NULL,
  count          int         NOT NULL DEFAULT 1 CHECK (count >= 1),
  window_seconds int         NOT NULL CHECK (window_seconds >= 1),
  severity       text        NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (policy, name)
);

CREATE TABLE alert_firings (
  id        bigserial   PRIMARY KEY,
  rule_id   bigint      NOT NULL REFERENCES alert_rules (id) ON DELETE CASCADE,
  entity    text        NOT NULL,
  incident  text,
  value     double precision NOT NULL,
  fired_at  timestamptz NOT NULL
);
CREATE INDEX alert_firings_rule ON alert_firings (rule_id, fired_at);
CREATE INDEX alert_firings_fired_at ON alert_firings (fired_at);
`,
};
