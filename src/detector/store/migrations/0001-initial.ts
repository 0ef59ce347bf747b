/**
 * Migration 1: features (time-partitioned), peer history, ingest checkpoints and the optional
 * flow sample (time-partitioned). Partitions themselves are created at run time by
 * partitions.ts, never here: their set depends on the data.
 */
import type { Migration } from './index.js';

export const migration0001: Migration = {
  version: 1,
  name: 'initial',
  sql: `
CREATE TABLE features (
  kind            text        NOT NULL CHECK (kind IN ('source', 'destination')),
  entity          text        NOT NULL,
  window_start    timestamptz NOT NULL,
  window_end      timestamptz NOT NULL,
  schema_version  int         NOT NULL,
  -- FEATURE_COUNT float32 values, little-endian (compact, and parsed far faster than real[]).
  vector          bytea       NOT NULL,
  flows           int         NOT NULL,
  bytes           bigint      NOT NULL,
  namespace       text,
  workload        text,
  addresses       text[]      NOT NULL DEFAULT '{}',
  top_peers       jsonb       NOT NULL DEFAULT '[]',
  malicious_flows int         NOT NULL DEFAULT 0,
  written_at      timestamptz NOT NULL DEFAULT now(),
  -- A primary key on a partitioned table must include the partition key. Entity first: the key
  -- also serves "this entity's windows over time", so no second btree is maintained per row.
  PRIMARY KEY (entity, kind, window_start)
) PARTITION BY RANGE (window_start);
CREATE INDEX features_window_start_brin ON features USING brin (window_start);

CREATE TABLE peer_seen (
  kind       text        NOT NULL,
  entity     text        NOT NULL,
  peer       text        NOT NULL,
  first_seen timestamptz NOT NULL,
  PRIMARY KEY (kind, entity, peer)
);
-- Restart loads "seen since", retention deletes "older than": both range over first_seen.
CREATE INDEX peer_seen_first_seen ON peer_seen (first_seen);

CREATE TABLE ingest_checkpoints (
  consumer   text        PRIMARY KEY,
  watermark  timestamptz NOT NULL,
  resume_seq bigint      NOT NULL,
  last_seq   bigint      NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE flows (
  ts          timestamptz NOT NULL,
  src         text        NOT NULL,
  dst         text        NOT NULL,
  src_port    int,
  dst_port    int,
  proto       smallint    NOT NULL,
  action      text        NOT NULL,
  bytes       bigint,
  packets     bigint,
  duration_ms double precision,
  outcome     text,
  src_entity  text,
  dst_entity  text
) PARTITION BY RANGE (ts);
CREATE INDEX flows_ts_brin ON flows USING brin (ts);
`,
};
