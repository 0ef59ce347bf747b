/**
 * Migration 2: what scoring, training and the controller share — verdicts (time-partitioned),
 * the model registry, analyst feedback, per-entity threshold adjustments, the action audit log,
 * and leases (one trainer at a time, across replicas).
 */
import type { Migration } from './index.js';

export const migration0002: Migration = {
  version: 2,
  name: 'models-verdicts-feedback',
  sql: `
CREATE TABLE verdicts (
  id           text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('source', 'destination')),
  entity       text        NOT NULL,
  namespace    text,
  workload     text,
  window_start timestamptz NOT NULL,
  window_end   timestamptz NOT NULL,
  scored_at    timestamptz NOT NULL,
  anomaly      real        NOT NULL,
  impact       real        NOT NULL,
  confidence   real        NOT NULL,
  threat       real        NOT NULL,
  -- The whole verdict record (src/detector/scoring/verdict.ts) as published on NATS.
  record       jsonb       NOT NULL,
  PRIMARY KEY (id, window_end)
) PARTITION BY RANGE (window_end);
CREATE INDEX verdicts_window_end_brin ON verdicts USING brin (window_end);
CREATE INDEX verdicts_entity_window ON verdicts (entity, window_end);
CREATE INDEX verdicts_threat ON verdicts (threat) WHERE threat >= 0.5;

CREATE TABLE models (
  name                  text        NOT NULL,
  version               int         NOT NULL,
  -- candidate → active → retired; or candidate → rejected (failed validation).
  status                text        NOT NULL CHECK (status IN ('candidate', 'active', 'retired', 'rejected')),
  onnx                  bytea,
  -- Parameters of the TypeScript reference model, calibration and anything scoring needs besides ONNX.
  params                jsonb       NOT NULL DEFAULT '{}',
  feature_schema_version int        NOT NULL,
  trained_from          timestamptz,
  trained_to            timestamptz,
  training_rows         int         NOT NULL DEFAULT 0,
  metrics               jsonb       NOT NULL DEFAULT '{}',
  created_at            timestamptz NOT NULL DEFAULT now(),
  promoted_at           timestamptz,
  note                  text,
  PRIMARY KEY (name, version)
);
-- At most one active version per model.
CREATE UNIQUE INDEX models_one_active ON models (name) WHERE status = 'active';

CREATE TABLE feedback (
  id           bigserial   PRIMARY KEY,
  -- The ThreatIncident (namespace/name) or dashboard incident the analyst judged.
  incident     text        NOT NULL,
  kind         text        NOT NULL CHECK (kind IN ('source', 'destination')),
  entity       text        NOT NULL,
  window_start timestamptz,
  window_end   timestamptz,
  verdict      text        NOT NULL CHECK (verdict IN ('TruePositive', 'FalsePositive')),
  analyst      text,
  note         text,
  created_at   timestamptz NOT NULL DEFAULT now(),
  -- Set when a training run has taken this feedback into account.
  consumed_at  timestamptz,
  UNIQUE (incident, verdict)
);
CREATE INDEX feedback_entity ON feedback (kind, entity);

-- Raised by false-positive feedback: the entity must deviate further before it alerts.
CREATE TABLE entity_thresholds (
  kind       text        NOT NULL,
  entity     text        NOT NULL,
  offset_    real        NOT NULL DEFAULT 0,
  reason     text,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (kind, entity)
);

-- Audit log of every action decision, applied or only intended (Monitor mode).
CREATE TABLE actions (
  id         bigserial   PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  policy     text        NOT NULL,
  incident   text        NOT NULL,
  entity     text        NOT NULL,
  action     text        NOT NULL CHECK (action IN ('Alert', 'RateLimit', 'Block', 'Quarantine')),
  mode       text        NOT NULL CHECK (mode IN ('Monitor', 'Enforce')),
  -- applied, intended (Monitor), pending-approval, reverted, expired, refused (allowlist, cap …)
  outcome    text        NOT NULL,
  detail     jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX actions_at_brin ON actions USING brin (at);
CREATE INDEX actions_incident ON actions (incident);

CREATE TABLE leases (
  name       text        PRIMARY KEY,
  holder     text        NOT NULL,
  expires_at timestamptz NOT NULL
);
`,
};
