/**
 * Event-time window aggregation per entity.
 *
 * Flows land in fixed buckets (default 10 s). Windows (default 60 s) end on bucket boundaries and
 * slide by one bucket. The watermark is the newest event time minus the allowed lateness (moved
 * further by idleness or an end-of-stream marker); a flow whose bucket the watermark has passed
 * is late, so a bucket's contents are fixed once the watermark passes it, whatever the timing of
 * `advance()` calls. `advance()` finalizes passed buckets (deciding which peers are new), emits
 * every window that ends at or before the watermark, and forgets buckets no window needs.
 *
 * Restart safety (see docs/adr/0006-windows-watermarks-and-acks.md): windows ending at or before
 * `flushedThrough` are final and never emitted again; flows re-read after a restart are added only
 * to the windows still open, and peer history is reloaded with each peer's first bucket, so the
 * re-run computes the same vectors as the first run.
 *
 * First contacts (docs/adr/0015-scan-detection.md): for flows whose destination lies in the
 * monitored network, the source's bucket also records each service (destination entity, protocol,
 * port) it reached and whether it got through. Finalizing a bucket decides which services are new
 * for the entity, exactly as for peers, and counts those first contacts by outcome; the row whose
 * newest bucket it is carries the counts, so each first contact is counted once.
 */
import type { FlowRecord } from '../../flows/flow-record.js';
import type { FeatureRow, PeerSeen } from '../store/types.js';
import { BucketAcc, CONTACT_FAILED, CONTACT_OK, serviceOf } from './bucket.js';
import type { EntityRef } from './entities.js';
import { FEATURE_SCHEMA } from './schema.js';
import { windowVector } from './window-vector.js';

export interface AggregatorOptions {
  bucketMs: number;
  windowMs: number;
  latenessMs: number;
  idleFlushMs: number;
  peerHistoryMs: number;
  /** Windows ending at or before this are already durable (the store checkpoint after a restart). */
  flushedThrough?: number;
  peerHistory?: readonly PeerSeen[];
}

/** `late`: arrived after the watermark passed its bucket. `done`: a re-read flow whose windows are all final. */
export type AddResult = 'added' | 'late' | 'done';

export interface AdvanceResult {
  rows: FeatureRow[];
  newPeers: PeerSeen[];
  /** Every window ending at or before this has now been emitted. */
  flushedThrough: number;
}

const key = (ref: EntityRef) => (ref.kind === 'source' ? 's' : 'd') + ref.entity;

export class WindowAggregator {
  private readonly buckets = new Map<number, Map<string, BucketAcc>>();
  private readonly entities = new Map<string, EntityRef>();
  /** entity key → peer → start of the bucket the peer was first seen in. */
  private readonly seen = new Map<string, Map<string, number>>();
  /** entity key → `<destination entity> <service>` → start of the bucket of the first contact. */
  private readonly contacted = new Map<string, Map<string, number>>();
  /** entity key → start of the last bucket it had flows in; history of long-quiet entities is dropped. */
  private readonly lastActive = new Map<string, number>();
  private lastForget = -Infinity;
  private maxEventTime = -Infinity;
  private idleWatermark = -Infinity;
  private eosWatermark = -Infinity;
  private finalizedThrough = -Infinity;
  private flushed: number;

  constructor(private readonly opts: AggregatorOptions) {
    if (opts.windowMs % opts.bucketMs !== 0) throw new RangeError('windowMs must be a multiple of bucketMs');
    this.flushed = opts.flushedThrough ?? -Infinity;
    for (const p of opts.peerHistory ?? []) {
      const entityKey = (p.kind === 'source' ? 's' : 'd') + p.entity;
      if (p.service === undefined) this.seenOf(entityKey).set(p.peer, p.firstSeen);
      else this.mapOf(this.contacted, entityKey).set(`${p.peer} ${p.service}`, p.firstSeen);
      this.lastActive.set(entityKey, Math.max(this.lastActive.get(entityKey) ?? -Infinity, p.firstSeen));
    }
  }

  get watermark(): number {
    return Math.max(this.maxEventTime - this.opts.latenessMs, this.idleWatermark, this.eosWatermark);
  }

  get flushedThrough(): number {
    return this.flushed;
  }

  get openBuckets(): number {
    return this.buckets.size;
  }

  /** The last window end a flow at `ts` contributes to: once that is durable, its message may be acked. */
  lastWindowEnd(ts: number): number {
    return this.bucketStart(ts) + this.opts.windowMs;
  }

  /**
   * Adds an anonymized flow to the buckets of its entities. `replayed` marks flows re-read after
   * a restart (already counted in the windows that were flushed before it). `monitored`: the
   * destination entity key when the destination lies in the monitored network (first contacts).
   */
  add(
    flow: FlowRecord,
    source: EntityRef | undefined,
    destination: EntityRef | undefined,
    replayed = false,
    monitored?: string,
  ): AddResult {
    const verdict = this.classify(flow.ts, replayed);
    if (verdict !== 'added') return verdict;
    const start = this.bucketStart(flow.ts);
    let bucket = this.buckets.get(start);
    if (!bucket) {
      bucket = new Map();
      this.buckets.set(start, bucket);
    }
    if (source) {
      const service = monitored === undefined ? undefined : serviceOf(flow);
      this.accFor(bucket, source).add(flow, flow.src, flow.dst, service && `${monitored} ${service}`);
    }
    if (destination) this.accFor(bucket, destination).add(flow, flow.dst, flow.src);
    if (flow.ts > this.maxEventTime) this.maxEventTime = flow.ts;
    this.idleWatermark = -Infinity;
    return 'added';
  }

  /** What `add` would do with a flow at `ts`, without adding it. */
  classify(ts: number, replayed = false): AddResult {
    const start = this.bucketStart(ts);
    if (start + this.opts.windowMs <= this.flushed) return replayed ? 'done' : 'late';
    if (start + this.opts.bucketMs <= this.finalizedThrough) return 'late';
    if (!replayed && start + this.opts.bucketMs <= this.watermark) return 'late';
    return 'added';
  }

  /** No flows for `idleMs` of wall time: let event time move on with the wall clock. */
  idle(idleMs: number): void {
    if (idleMs > this.opts.idleFlushMs && Number.isFinite(this.maxEventTime)) {
      this.idleWatermark = this.maxEventTime - this.opts.latenessMs + (idleMs - this.opts.idleFlushMs);
    }
  }

  /** End of stream: every open window can be emitted. */
  endOfStream(): void {
    let last = this.maxEventTime;
    for (const start of this.buckets.keys()) last = Math.max(last, start + this.opts.windowMs);
    if (Number.isFinite(last))
      this.eosWatermark = Math.max(this.eosWatermark, this.bucketStart(last) + this.opts.windowMs);
  }

  advance(): AdvanceResult {
    const { bucketMs, windowMs } = this.opts;
    const watermark = this.watermark;
    const newPeers = this.finalize(watermark);
    const through = Math.floor(watermark / bucketMs) * bucketMs;
    const rows: FeatureRow[] = [];
    if (through > this.flushed) {
      for (const end of this.windowEnds(this.flushed, through)) rows.push(...this.emitWindow(end));
      this.flushed = through;
      for (const start of [...this.buckets.keys()]) {
        if (start + windowMs <= this.flushed) this.buckets.delete(start);
      }
      this.forgetOldPeers();
    }
    return { rows, newPeers, flushedThrough: this.flushed };
  }

  private bucketStart(ts: number): number {
    return Math.floor(ts / this.opts.bucketMs) * this.opts.bucketMs;
  }

  private accFor(bucket: Map<string, BucketAcc>, ref: EntityRef): BucketAcc {
    const k = key(ref);
    let acc = bucket.get(k);
    if (!acc) {
      acc = new BucketAcc();
      bucket.set(k, acc);
      if (!this.entities.has(k)) this.entities.set(k, ref);
    }
    return acc;
  }

  private seenOf(entityKey: string): Map<string, number> {
    return this.mapOf(this.seen, entityKey);
  }

  private mapOf(maps: Map<string, Map<string, number>>, entityKey: string): Map<string, number> {
    let map = maps.get(entityKey);
    if (!map) {
      map = new Map();
      maps.set(entityKey, map);
    }
    return map;
  }

  /** Fixes each passed bucket's new peers and first contacts, in bucket order, against the entity's history. */
  private finalize(watermark: number): PeerSeen[] {
    const fresh: PeerSeen[] = [];
    const starts = [...this.buckets.keys()]
      .filter((s) => s + this.opts.bucketMs <= watermark && s + this.opts.bucketMs > this.finalizedThrough)
      .sort((a, b) => a - b);
    for (const start of starts) {
      for (const [entityKey, acc] of this.buckets.get(start)!) {
        const seen = this.seenOf(entityKey);
        const ref = this.entities.get(entityKey)!;
        this.lastActive.set(entityKey, start);
        acc.newPeers = new Set();
        for (const peer of acc.peers.keys()) {
          const first = seen.get(peer);
          if (first === undefined) {
            seen.set(peer, start);
            fresh.push({ kind: ref.kind, entity: ref.entity, peer, firstSeen: start });
          }
          if (first === undefined || first === start) acc.newPeers.add(peer);
        }
        if (acc.services.size > 0) this.firstContacts(entityKey, ref, start, acc, fresh);
      }
    }
    const last = starts[starts.length - 1];
    if (last !== undefined)
      this.finalizedThrough = Math.max(this.finalizedThrough, last + this.opts.bucketMs);
    this.finalizedThrough = Math.max(
      this.finalizedThrough,
      Math.floor(watermark / this.opts.bucketMs) * this.opts.bucketMs,
    );
    return fresh;
  }

  /**
   * Counts the bucket's first contacts by outcome: a service is new when the entity never reached
   * it before, or first did in this very bucket (a bucket rebuilt from re-read flows after a
   * restart, whose first contacts the reloaded history already holds). Any established flow to
   * it in the bucket makes the first contact a success.
   */
  private firstContacts(entityKey: string, ref: EntityRef, start: number, acc: BucketAcc, fresh: PeerSeen[]) {
    const contacted = this.mapOf(this.contacted, entityKey);
    let ok = 0;
    let failed = 0;
    for (const [key, bits] of acc.services) {
      const first = contacted.get(key);
      if (first === undefined) {
        contacted.set(key, start);
        const cut = key.lastIndexOf(' ');
        const peer = key.slice(0, cut);
        fresh.push({
          kind: ref.kind,
          entity: ref.entity,
          peer,
          service: key.slice(cut + 1),
          firstSeen: start,
        });
      }
      if (first !== undefined && first !== start) continue;
      if (bits & CONTACT_OK) ok++;
      else if (bits & CONTACT_FAILED) failed++;
    }
    acc.firstContacts = { ok, failed };
  }

  /** Window ends in (after, through] that have data: one per bucket boundary a bucket reaches. */
  private windowEnds(after: number, through: number): number[] {
    const ends = new Set<number>();
    for (const start of this.buckets.keys()) {
      for (
        let end = start + this.opts.bucketMs;
        end <= start + this.opts.windowMs;
        end += this.opts.bucketMs
      ) {
        if (end > after && end <= through) ends.add(end);
      }
    }
    return [...ends].sort((a, b) => a - b);
  }

  private emitWindow(end: number): FeatureRow[] {
    const begin = end - this.opts.windowMs;
    const perEntity = new Map<string, BucketAcc[]>();
    for (let start = begin; start < end; start += this.opts.bucketMs) {
      const bucket = this.buckets.get(start);
      if (!bucket) continue;
      for (const [entityKey, acc] of bucket) {
        const list = perEntity.get(entityKey);
        if (list) list.push(acc);
        else perEntity.set(entityKey, [acc]);
      }
    }
    // An entity gets a row for this window if it was active in the window's newest bucket (a new
    // observation) or if the window lies on the tumbling grid (so per-window series are complete);
    // a quiet entity's sliding windows would only repeat what was already scored.
    const onGrid = end % this.opts.windowMs === 0;
    const newest = onGrid ? undefined : this.buckets.get(end - this.opts.bucketMs);
    const rows: FeatureRow[] = [];
    for (const [entityKey, accs] of perEntity) {
      if (!onGrid && !newest?.has(entityKey)) continue;
      const ref = this.entities.get(entityKey)!;
      const summary = windowVector(accs, end);
      const first = this.buckets.get(end - this.opts.bucketMs)?.get(entityKey)?.firstContacts;
      rows.push({
        kind: ref.kind,
        entity: ref.entity,
        windowStart: begin,
        windowEnd: end,
        schemaVersion: FEATURE_SCHEMA.version,
        vector: summary.vector,
        flows: summary.flows,
        bytes: summary.bytes,
        namespace: ref.namespace,
        workload: ref.workload,
        addresses: summary.addresses,
        topPeers: summary.topPeers,
        maliciousFlows: summary.malicious,
        ...(first && first.ok + first.failed > 0
          ? { contacts: { firstOk: first.ok, firstFailed: first.failed } }
          : {}),
      });
    }
    return rows;
  }

  /**
   * Drops the peer history of entities quiet for longer than the configured horizon. Runs at
   * most once per 1/100 of the horizon of event time, so the hot path does not scan every entity.
   */
  private forgetOldPeers(): void {
    const horizon = this.maxEventTime - this.opts.peerHistoryMs;
    if (!Number.isFinite(horizon) || horizon - this.lastForget < this.opts.peerHistoryMs / 100) return;
    this.lastForget = horizon;
    const active = new Set<string>();
    for (const bucket of this.buckets.values()) for (const k of bucket.keys()) active.add(k);
    for (const [entityKey, last] of this.lastActive) {
      if (last >= horizon || active.has(entityKey)) continue;
      this.lastActive.delete(entityKey);
      this.seen.delete(entityKey);
      this.contacted.delete(entityKey);
      this.entities.delete(entityKey);
    }
  }
}
