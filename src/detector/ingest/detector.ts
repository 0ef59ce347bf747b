/**
 * The detector's ingest loop: pull flow messages from JetStream in batches, turn them into
 * window features, make the features durable, and only then ack.
 *
 * Guarantees (docs/adr/0006-windows-watermarks-and-acks.md):
 * - a message is acked only after every window its flows feed is committed to the store;
 * - the store commit carries, per consumer, the checkpoint (windows flushed through, the oldest
 *   unfinished stream sequence, the last sequence seen), so a restarted detector re-reads from
 *   there in stream order and recomputes exactly the windows that were still open;
 * - a redelivery of a message still held is recognised by its sequence and not counted twice;
 * - in-flight work is bounded: one fetch batch is processed at a time, the server stops delivering
 *   at max_ack_pending, and while the store is down nothing new is fetched;
 * - a delivery the client never saw (a message that reached a fetch just as it expired: the server
 *   counts it delivered, the client has closed the request) shows as a gap in the consumer's
 *   delivery sequence; the messages it hid are read back from the stream at once and processed in
 *   order, and their redelivery after ack_wait is acked without counting them again.
 */
import type { Consumer, JetStreamClient, JetStreamManager, JsMsg, NatsConnection } from 'nats';
import type { Config } from '../../config/schema.js';
import type { DeadLetter, DeadLetterSink } from '../../flows/dead-letter.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import { counter, gauge, histogram, type Registry } from '../../observability/metrics.js';
import { WindowAggregator } from '../features/aggregator.js';
import type { FlowPipeline } from './flow-pipeline.js';
import { HeldMessages } from './held-messages.js';
import { consumerPlans, ensureConsumer, ensureStream, type ConsumerPlan } from './jetstream.js';
import { DeliveryGaps, fromDelivery, fromStored, readBack, type FlowMessage } from './lost-deliveries.js';
import { MessageDecoder } from './message-decoder.js';
import type { FeatureRow, IngestCheckpoint, PeerSeen, WindowBatch } from '../store/types.js';

/** The part of the store the ingest loop needs (FeatureStore implements it). */
export interface WindowSink {
  writeWindows(batch: WindowBatch): Promise<unknown>;
  loadCheckpoint(consumer: string): Promise<IngestCheckpoint | undefined>;
  loadPeerHistory(sinceMs: number): Promise<PeerSeen[]>;
}

export interface DetectorDeps {
  nc: NatsConnection;
  sink: WindowSink;
  deadLetters: DeadLetterSink;
  /** Builds the per-flow pipeline around the aggregator the detector creates from the checkpoint. */
  pipeline: (aggregator: WindowAggregator) => FlowPipeline;
  config: Config;
  logger: Logger;
  registry: Registry;
  /**
   * Called with each batch of windows once durable and acked (scoring hooks in here). Awaited, so
   * slow scoring slows fetching rather than piling up; a failure is logged, never fatal to ingest.
   */
  onWindows?: (rows: FeatureRow[]) => Promise<void>;
  /** Sees each message's latency from reaching the stream to durable features (benchmarks). */
  observeLatency?: (ms: number) => void;
  /** Retries a store write until it succeeds or the signal aborts. */
  retryWrite: <T>(fn: () => Promise<T>, signal: AbortSignal) => Promise<T>;
  now?: () => number;
}

interface Lane {
  plan: ConsumerPlan;
  consumer: Consumer;
  held: HeldMessages<FlowMessage>;
  lastSeq: number;
  /** Messages at or below this sequence were processed before the last restart. */
  replayedThrough: number;
  /** Deliveries this client never saw, and the messages read back in their place. */
  gaps: DeliveryGaps;
}

export class Detector {
  private readonly abort = new AbortController();
  private readonly decoder = new MessageDecoder();
  private readonly now: () => number;
  private lanes: Lane[] = [];
  private jsm!: JetStreamManager;
  private aggregator!: WindowAggregator;
  private pipeline!: FlowPipeline;
  private lastArrival: number;
  private running: Promise<void> | undefined;
  private writing: Promise<void> = Promise.resolve();
  private lagMeasuredAt = -Infinity;
  private ready = false;
  private readonly m;

  constructor(private readonly deps: DetectorDeps) {
    this.now = deps.now ?? Date.now;
    this.lastArrival = this.now();
    const r = deps.registry;
    this.m = {
      messages: counter(r, 'foresight_nats_messages_total', 'Flow messages received, by outcome', [
        'outcome',
      ]),
      skipped: counter(r, 'foresight_flow_records_skipped_total', 'Well-formed records without a flow', [
        'reason',
      ]),
      recovered: counter(
        r,
        'foresight_nats_deliveries_recovered_total',
        'Flow messages read back from the stream because their delivery never reached this client',
      ),
      rows: counter(r, 'foresight_feature_windows_total', 'Feature windows written'),
      held: gauge(r, 'foresight_unacked_messages', 'Messages processed but not yet acked (windows open)'),
      latency: histogram(
        r,
        'foresight_ingest_latency_seconds',
        'From a message reaching the stream to its features being durable',
      ),
      flush: histogram(r, 'foresight_feature_flush_seconds', 'Time to make one batch of windows durable'),
      lag: gauge(
        r,
        'foresight_consumer_pending_messages',
        'Messages in the stream not yet delivered to the consumer',
        ['consumer'],
      ),
    };
  }

  get isReady(): boolean {
    return this.ready && !this.abort.signal.aborted;
  }

  /** Sets up stream, consumers and state from the checkpoint, then runs until stop(). */
  async start(): Promise<void> {
    const { config, logger, nc, sink } = this.deps;
    const jsm = await nc.jetstreamManager();
    await ensureStream(jsm, config.nats, logger);
    const js: JetStreamClient = nc.jetstream();
    const f = config.features;
    const lanes: Lane[] = [];
    let flushedThrough = -Infinity;
    for (const plan of consumerPlans(config)) {
      const cp = await sink.loadCheckpoint(plan.durable);
      if (cp) flushedThrough = Math.max(flushedThrough, cp.watermark);
      await ensureConsumer(jsm, config, cp ? { ...plan, startSeq: cp.resumeSeq } : plan, logger);
      lanes.push({
        plan,
        consumer: await js.consumers.get(config.nats.stream.name, plan.durable),
        held: new HeldMessages(),
        lastSeq: cp?.lastSeq ?? 0,
        replayedThrough: cp?.lastSeq ?? 0,
        gaps: new DeliveryGaps(config.nats.consumer.maxAckPending),
      });
    }
    // History is measured in event time, so replays of old captures resume correctly too.
    const peerHistory = Number.isFinite(flushedThrough)
      ? await sink.loadPeerHistory(flushedThrough - f.peerHistorySeconds * 1000)
      : [];
    this.aggregator = new WindowAggregator({
      bucketMs: f.bucketSeconds * 1000,
      windowMs: f.windowSeconds * 1000,
      latenessMs: f.allowedLatenessSeconds * 1000,
      idleFlushMs: f.idleFlushSeconds * 1000,
      peerHistoryMs: f.peerHistorySeconds * 1000,
      ...(Number.isFinite(flushedThrough) ? { flushedThrough } : {}),
      peerHistory,
    });
    this.pipeline = this.deps.pipeline(this.aggregator);
    this.jsm = jsm;
    this.lanes = lanes;
    this.ready = true;
    logger.info('detector consuming', {
      consumers: lanes.map((l) => l.plan.durable),
      resumedFrom: Number.isFinite(flushedThrough) ? new Date(flushedThrough).toISOString() : 'start',
    });
    this.running = this.loop();
    await this.running;
  }

  /** Stops fetching, makes final windows durable, acks what they cover; open windows wait for the next run. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running?.catch(() => undefined);
  }

  private async loop(): Promise<void> {
    const { config } = this.deps;
    const keepAliveMs = (config.nats.consumer.ackWaitSeconds * 1000) / 2;
    try {
      while (!this.abort.signal.aborted) {
        let received = 0;
        for (const lane of this.lanes) {
          if (this.abort.signal.aborted) break;
          received += await this.fetchInto(lane);
        }
        if (this.abort.signal.aborted) break;
        if (received === 0) this.aggregator.idle(this.now() - this.lastArrival);
        await this.flush();
        for (const lane of this.lanes) lane.held.keepAlive(this.now(), keepAliveMs);
        await this.measureLag();
      }
      // Windows that are final are written; flows of open windows stay unacked and are re-read.
      await this.flush();
      await this.writing;
    } catch (err) {
      if (!this.abort.signal.aborted) throw err;
      this.deps.logger.warn('final flush failed', { err: errorMessage(err) });
    }
  }

  /** Consumer lag for /metrics (and the chart's alert on it), at most every 10 s. */
  private async measureLag(): Promise<void> {
    if (this.now() - this.lagMeasuredAt < 10_000) return;
    this.lagMeasuredAt = this.now();
    for (const lane of this.lanes) {
      const info = await lane.consumer.info(true).catch(() => undefined);
      if (info) this.m.lag.set({ consumer: lane.plan.durable }, info.num_pending);
    }
  }

  private async fetchInto(lane: Lane): Promise<number> {
    const { consumer } = this.deps.config.nats;
    const batch = await lane.consumer.fetch({
      max_messages: consumer.fetchBatch,
      expires: consumer.fetchExpiresMs,
    });
    // Drained first, processed after: a busy event loop while the fetch is open is what lets its
    // client-side timer close it under a message the server is delivering.
    const deliveries: JsMsg[] = [];
    for await (const msg of batch) {
      deliveries.push(msg);
      if (this.abort.signal.aborted) break;
    }
    const letters: DeadLetter[] = [];
    const processed: [FlowMessage, number][] = [];
    const process = (msg: FlowMessage) => {
      const releaseAt = this.handle(lane, msg, letters);
      if (releaseAt !== undefined) processed.push([msg, releaseAt]);
    };
    for (const msg of deliveries) {
      // The messages lost deliveries hid lie between the last stream sequence seen and this one.
      const lost = lane.gaps.observe(msg);
      if (lost > 0) {
        for (const m of await this.readBackLost(lane, msg.seq, lost)) {
          process(m);
          lane.gaps.remember(m.seq);
        }
      }
      process(fromDelivery(msg));
    }
    if (processed.length > 0) this.lastArrival = this.now();
    // Dead letters are durable before their messages can be acked.
    if (letters.length > 0) await this.deps.deadLetters.put(letters);
    for (const [msg, releaseAt] of processed) lane.held.hold(msg, releaseAt, msg.publishedAt);
    return processed.length;
  }

  /** Messages of the lane after its last seen sequence and before `before`, read from the stream. */
  private async readBackLost(lane: Lane, before: number, max: number): Promise<FlowMessage[]> {
    const { logger, config } = this.deps;
    try {
      const stored = await readBack(this.jsm, config.nats.stream.name, lane.plan.filterSubject, {
        after: lane.lastSeq,
        before,
        max,
      });
      if (stored.length > 0) {
        this.m.recovered.inc(stored.length);
        logger.warn('read back flow messages whose delivery was lost', {
          consumer: lane.plan.durable,
          seqs: stored.map((m) => m.seq),
        });
      }
      return stored.map(fromStored);
    } catch (err) {
      // They stay pending on the server and come back after ack_wait.
      logger.warn('could not read back lost deliveries; they return after ack_wait', {
        consumer: lane.plan.durable,
        err: errorMessage(err),
      });
      return [];
    }
  }

  /** Processes one message; returns when it may be acked (its last window end), or undefined for a duplicate. */
  private handle(lane: Lane, msg: FlowMessage, letters: DeadLetter[]): number | undefined {
    if (lane.held.has(msg.seq)) {
      lane.held.addRedelivery(msg);
      lane.gaps.forget(msg.seq);
      this.m.messages.inc({ outcome: 'duplicate' });
      return undefined;
    }
    if (lane.gaps.forget(msg.seq)) {
      // Read back earlier and already durable: this redelivery only needs its ack.
      msg.ack();
      this.m.messages.inc({ outcome: 'duplicate' });
      return undefined;
    }
    const decoded = this.decoder.decode(msg.subject, msg.data, msg.headers);
    if (decoded.control === 'eos') {
      this.aggregator.endOfStream();
      this.m.messages.inc({ outcome: 'end-of-stream' });
    }
    for (const [reason, count] of Object.entries(decoded.skipped)) this.m.skipped.inc({ reason }, count);
    letters.push(...decoded.deadLetters);
    const replayed = msg.seq <= lane.replayedThrough;
    const outcome = this.pipeline.ingest(decoded.flows, {
      format: decoded.format,
      replayed,
      subject: msg.subject,
    });
    letters.push(...outcome.late);
    if (msg.seq > lane.lastSeq) lane.lastSeq = msg.seq;
    this.m.messages.inc({ outcome: replayed ? 'replayed' : 'processed' });
    return outcome.releaseAt;
  }

  /**
   * Emits the windows the watermark has passed and starts making them durable. At most one
   * write is in flight: the next flush waits for it, so processing overlaps one write and no more.
   */
  private async flush(): Promise<void> {
    await this.writing;
    const { rows, newPeers, flushedThrough } = this.aggregator.advance();
    const checkpoints = this.lanes.map((lane) => ({
      consumer: lane.plan.durable,
      watermark: flushedThrough,
      resumeSeq: lane.held.oldestSeqAfter(flushedThrough) ?? lane.lastSeq + 1,
      lastSeq: lane.lastSeq,
    }));
    this.writing = this.commit(rows, newPeers, checkpoints, flushedThrough);
  }

  private async commit(
    rows: FeatureRow[],
    newPeers: PeerSeen[],
    checkpoints: IngestCheckpoint[],
    flushedThrough: number,
  ): Promise<void> {
    const started = this.now();
    if (rows.length > 0 || newPeers.length > 0) {
      // Retried until it succeeds: the flows stay unacked meanwhile and nothing new is fetched.
      await this.deps.retryWrite(
        () => this.deps.sink.writeWindows({ rows, newPeers, checkpoints }),
        this.abort.signal,
      );
      this.m.rows.inc(rows.length);
      this.m.flush.observe((this.now() - started) / 1000);
    }
    const durableAt = this.now();
    let held = 0;
    for (const lane of this.lanes) {
      lane.held.release(flushedThrough, (publishedAt) => {
        this.m.latency.observe((durableAt - publishedAt) / 1000);
        this.deps.observeLatency?.(durableAt - publishedAt);
      });
      held += lane.held.size;
    }
    this.m.held.set(held);
    if (rows.length > 0 && this.deps.onWindows) {
      await this.deps
        .onWindows(rows)
        .catch((err: unknown) =>
          this.deps.logger.error('scoring windows failed', { err: errorMessage(err), windows: rows.length }),
        );
    }
  }
}
