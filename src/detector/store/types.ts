/**
 * What the detector keeps in PostgreSQL (or PGlite), as TypeScript sees it. Repositories over
 * `Db` read and write these; nothing outside src/detector/store writes SQL.
 */

export type EntityKind = 'source' | 'destination';

/** One entity's feature vector for one window. Keyed by (kind, entity, windowStart). */
export interface FeatureRow {
  kind: EntityKind;
  /**
   * Stable entity key: `<namespace>/<workload>` for a Kubernetes workload, else `ip:<token>` for an
   * (anonymized) address. Raw addresses never appear here when anonymization is on.
   */
  entity: string;
  windowStart: number; // epoch ms, inclusive
  windowEnd: number; // epoch ms, exclusive
  schemaVersion: number;
  /** FEATURE_COUNT numbers in FEATURE_SCHEMA order. */
  vector: number[];
  flows: number;
  bytes: number;
  namespace?: string;
  workload?: string;
  /** Addresses (tokens) this entity used in the window, at most a few, for enforcement. */
  addresses: string[];
  /** Busiest peers in the window by flows, at most a few. */
  topPeers: { peer: string; flows: number; bytes: number }[];
  /** Flows in the window whose dataset label is malicious; evaluation only, 0 for live data. */
  maliciousFlows: number;
  /** First contacts with services inside the monitored network, for the scan test; absent when none. */
  contacts?: ContactCounts;
}

/**
 * A source's connections to services inside the monitored network (docs/adr/0015-scan-detection.md).
 * A service is a destination entity with a protocol and port; a first contact is the entity's first
 * connection to a service it never contacted before (within the peer history).
 */
export interface ContactCounts {
  /**
   * First contacts made in the window's NEWEST bucket that succeeded / failed. Every bucket an
   * entity is active in ends exactly one of its rows, so summing over its rows counts each once.
   */
  firstOk: number;
  firstFailed: number;
}

/**
 * First time an entity talked to a peer (feeds `new_peer_share` across restarts) or, with
 * `service`, to one service of a monitored destination (first contacts for the scan test).
 */
export interface PeerSeen {
  kind: EntityKind;
  entity: string;
  /** Peer address; with `service`, the destination entity key. */
  peer: string;
  /** `<protocol>/<port>` of a first contact with a monitored service. */
  service?: string;
  firstSeen: number; // epoch ms
}

/** Where one ingest consumer stands, committed with the windows it made durable. */
export interface IngestCheckpoint {
  consumer: string;
  /** Windows ending at or before this (epoch ms) are durable. */
  watermark: number;
  /** Oldest stream sequence whose windows are not all durable: a restart reads from here. */
  resumeSeq: number;
  /** Highest stream sequence processed: flows up to here were counted before a restart. */
  lastSeq: number;
}

/** Everything one flush makes durable, in one transaction. */
export interface WindowBatch {
  rows: FeatureRow[];
  newPeers: PeerSeen[];
  /** Where each consumer stands once this batch is durable (docs/adr/0006). */
  checkpoints?: IngestCheckpoint[];
}

export interface FeatureQuery {
  from?: number;
  to?: number;
  kind?: EntityKind;
  entity?: string;
  limit?: number;
}
