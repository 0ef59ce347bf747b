/**
 * The demo, in one process: a flow source (the simulator at accelerated time, or a file) →
 * the detector's pipeline (enrichment, anonymization, windows) → features in PGlite → models
 * trained on the first span → the scoring service → the Monitor engine (incidents, actions,
 * alert rules) → the dashboard, live. Event time is the demo's clock: the dashboard's "now" is
 * the aggregation watermark, which advances `speed` times faster than the wall clock.
 *
 * Phases: warm-up (the training span is ingested at full speed), training, then live.
 */
import { Partitions } from '../../detector/store/partitions.js';
import type { Config } from '../../config/schema.js';
import { WindowAggregator } from '../../detector/features/aggregator.js';
import { entityOf } from '../../detector/features/entities.js';
import { IdentityIndex } from '../../detector/ingest/identity-index.js';
import { aggregatorOptions, buildPipeline } from '../../detector/ingest/pipeline-factory.js';
import { ScoringService } from '../../detector/scoring/scoring-service.js';
import { MemoryVerdictPublisher } from '../../detector/scoring/verdict-publisher.js';
import { ControllerAuditStore } from '../../detector/store/controller-audit.js';
import type { FeatureStore } from '../../detector/store/feature-store.js';
import type { FeatureRow } from '../../detector/store/types.js';
import type { Verdict } from '../../detector/scoring/verdict.js';
import { FlowSampleStore, type SampledFlow } from '../../detector/store/flow-samples.js';
import { Leases } from '../../detector/store/leases.js';
import { ModelRegistry } from '../../detector/store/model-registry.js';
import { readAllNamespaceSeries } from '../../detector/store/series-queries.js';
import { VerdictStore } from '../../detector/store/verdict-store.js';
import { Trainer, type TrainReport } from '../../detector/training/trainer.js';
import { revealer } from '../../controller/incidents/resolve.js';
import type { AddressAnonymizer } from '../../flows/anonymizer.js';
import type { Enricher } from '../../flows/enrichment.js';
import type { FlowRecord } from '../../flows/flow-record.js';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Registry } from '../../observability/metrics.js';
import type { ThreatPolicy } from '../../controller/threatpolicy/crd-types.js';
import type { PolicySummary } from '../server/types.js';
import type { ClusterView } from '../../controller/incidents/resolve.js';
import { MonitorEngine, type MonitorEngineDeps } from './monitor-engine.js';
import type { FlowSource } from './flow-source.js';

export type DemoPhase = 'warming-up' | 'training' | 'live' | 'finished';

/** Windows, verdicts and sampled flows, once stored. */
export interface Written {
  windows: readonly FeatureRow[];
  verdicts: readonly Verdict[];
  flows: readonly SampledFlow[];
}

export interface DemoOptions {
  config: Config;
  store: FeatureStore;
  source: FlowSource;
  enricher: Enricher;
  anonymizer: AddressAnonymizer;
  policies: readonly ThreatPolicy[];
  view: ClusterView;
  logger: Logger;
  metrics: Registry;
  /** Simulated seconds per real second; Infinity: as fast as possible. */
  speed: number;
  /** Event time trained on before detection starts. */
  trainMs: number;
  /** Real time between steps of the live loop. */
  tickMs?: number;
  /** Flows kept per source entity per bucket in the flows sample. */
  samplePerBucket?: number;
  /** Called after each step and phase change (the demo worker sends its status then). */
  onStep?: () => void;
  /** Called with what was just stored (the dashboard keeps its rollups and copies from it). */
  onWritten?: (written: Written) => void;
  /** Called with incidents as the Monitor engine stores them. */
  onIncidents?: MonitorEngineDeps['onPersist'];
  /**
   * Awaited between pieces of work: resolves when the dashboard has no request in flight. The
   * dashboard's statements share PGlite's one connection with ingest; letting requests go
   * first keeps the API responsive while ingest runs at full speed.
   */
  yieldTo?: () => Promise<void>;
}

/** Windows scored per piece: small enough that a dashboard request never waits long behind one. */
const SCORE_CHUNK = 48;
/** Feature windows written per transaction. */
const WRITE_CHUNK = 256;

export class DemoRunner {
  readonly registry: ModelRegistry;
  readonly verdicts: VerdictStore;
  readonly flows: FlowSampleStore;
  readonly engine: MonitorEngine;
  readonly identities = new IdentityIndex();
  phase: DemoPhase = 'warming-up';
  lastTraining: TrainReport | undefined;
  private readonly aggregator: WindowAggregator;
  private readonly pipeline;
  private readonly trainer: Trainer;
  private scoring: ScoringService | undefined;
  private simNow: number;
  private clock: number;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private training: Promise<TrainReport> | undefined;
  private sampled = new Map<string, number>();
  private sampleBucket = -Infinity;
  private lastRetention = -Infinity;
  readonly counters = { flows: 0, windows: 0, verdicts: 0 };
  /** Capacity per forecast target; filled after training where the configuration names none. */
  readonly capacity: Record<string, number>;
  /** The configuration with that (mutable) capacity map: what scoring and the dashboard read. */
  readonly config: Config;

  constructor(private readonly o: DemoOptions) {
    const { store } = o;
    this.capacity = { ...o.config.scoring.capacity };
    this.config = { ...o.config, scoring: { ...o.config.scoring, capacity: this.capacity } };
    const config = this.config;
    const db = store.db;
    this.registry = new ModelRegistry(db);
    this.verdicts = new VerdictStore(db, store.partitions);
    this.flows = new FlowSampleStore(
      db,
      new Partitions(db, { partitionDays: config.store.partitionDays, partitionsAhead: 0, logger: o.logger }),
    );
    this.aggregator = new WindowAggregator(aggregatorOptions(config.features));
    this.pipeline = buildPipeline(config, this.aggregator, {
      enricher: o.enricher,
      anonymizer: o.anonymizer,
      registry: o.metrics,
      identities: this.identities,
    });
    this.trainer = new Trainer({
      db,
      registry: this.registry,
      leases: new Leases(db),
      config,
      logger: o.logger,
      holder: 'demo',
      progress: false,
    });
    this.engine = new MonitorEngine({
      db,
      audit: new ControllerAuditStore(db),
      policies: o.policies,
      view: o.view,
      reveal: revealer(o.anonymizer),
      guard: {
        protectedNamespaces: new Set([
          ...config.controller.protectedNamespaces,
          config.controller.operatorNamespace,
        ]),
        operatorLabels: config.controller.operatorLabels,
      },
      feedback: {
        falsePositiveStep: config.scoring.thresholds.falsePositiveStep,
        maxOffset: config.scoring.thresholds.maxOffset,
      },
      now: () => this.watermark(),
      logger: o.logger,
      ...(o.onIncidents ? { onPersist: o.onIncidents } : {}),
    });
    this.simNow = o.source.start;
    this.clock = o.source.start;
  }

  /**
   * The dashboard's clock: event time through which the last completed step emitted, scored and
   * judged every window, so what the dashboard shows at "now" is consistent.
   */
  now(): number {
    return this.clock;
  }

  /** Event time every window up to which has been emitted (scoring and the engine decide at it). */
  private watermark(): number {
    const w = this.aggregator.watermark;
    return Number.isFinite(w) ? w : this.o.source.start;
  }

  policySummaries(): PolicySummary[] {
    return this.o.policies.map((p) => ({
      key: `${p.metadata.namespace}/${p.metadata.name}`,
      namespace: p.metadata.namespace ?? '',
      name: p.metadata.name ?? '',
      mode: p.spec.mode,
      podSelector: p.spec.podSelector,
      incidentThreshold: p.spec.incidentThreshold,
    }));
  }

  /** Runs warm-up and training, then the live loop in the background. */
  async start(): Promise<void> {
    await this.engine.load();
    const trainUntil = this.o.source.start + this.o.trainMs;
    this.o.logger.info(
      `warm-up: ingesting ${Math.round(this.o.trainMs / 60_000)} simulated minutes to train on`,
    );
    while (this.simNow < trainUntil && !this.o.source.done && !this.stopped) {
      this.simNow = Math.min(trainUntil, this.simNow + 60_000);
      await this.step(this.simNow, false);
    }
    this.phase = 'training';
    this.o.onStep?.();
    await this.retrain('initial training on the warm-up span');
    if (this.stopped) return;
    await this.configureCapacity();
    this.scoring = new ScoringService({
      db: this.o.store.db,
      registry: this.registry,
      verdicts: this.verdicts,
      publisher: new MemoryVerdictPublisher(),
      identities: this.identities,
      config: this.config,
      logger: this.o.logger,
      metrics: this.o.metrics,
      now: () => this.watermark(),
    });
    await this.scoring.start();
    this.phase = 'live';
    this.o.onStep?.();
    this.loop = this.live().catch((err: unknown) => {
      this.o.logger.error(`demo stopped: ${errorMessage(err)}`);
    });
  }

  /** A training run on everything ingested so far (one at a time). */
  retrain(reason = 'requested from the dashboard'): Promise<TrainReport> {
    if (this.training) return this.training;
    const started = performance.now();
    this.training = this.trainer
      .trainNow({ until: this.now(), reason, anomalyOnly: false })
      .then(async (report) => {
        this.lastTraining = report;
        this.o.logger.info(`training finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        await this.scoring?.refresh();
        return report;
      })
      .finally(() => {
        this.training = undefined;
      });
    return this.training;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.training?.catch(() => undefined);
    await this.scoring?.close();
    await this.o.source.close();
  }

  private async live(): Promise<void> {
    const tickMs = this.o.tickMs ?? 250;
    const fast = !Number.isFinite(this.o.speed);
    let last = performance.now();
    while (!this.stopped) {
      if (this.o.source.done) {
        this.aggregator.endOfStream();
        await this.step(this.simNow, true);
        this.phase = 'finished';
        this.o.onStep?.();
        this.o.logger.info('the flow source is exhausted: the dashboard stays up (Ctrl-C to stop)');
        return;
      }
      const started = performance.now();
      const elapsed = fast ? 0 : started - last;
      last = started;
      this.simNow += fast ? 2_000 : Math.max(1, elapsed) * this.o.speed;
      await this.step(this.simNow, true);
      const spent = performance.now() - started;
      await new Promise((r) => setTimeout(r, fast ? 0 : Math.max(0, tickMs - spent)));
    }
  }

  /** Ingests flows up to `until`, writes the windows that closed, scores them when `score`. */
  private async step(until: number, score: boolean): Promise<void> {
    await this.o.yieldTo?.();
    const flows = await this.o.source.next(until);
    const sample: SampledFlow[] = [];
    if (flows.length > 0) {
      this.pipeline.ingest(flows, { format: 'demo' });
      this.counters.flows += flows.length;
      for (const f of flows) this.sampleFlow(f, sample);
    }
    const { rows, newPeers } = this.aggregator.advance();
    // In pieces, yielding between them: one large transaction would hold PGlite's only
    // connection while dashboard requests wait (the demo keeps no ingest checkpoints to split).
    for (let i = 0; i < Math.max(rows.length, 1); i += WRITE_CHUNK) {
      await this.o.yieldTo?.();
      const chunk = rows.slice(i, i + WRITE_CHUNK);
      const peers = i === 0 ? newPeers : [];
      if (chunk.length > 0 || peers.length > 0)
        await this.o.store.writeWindows({ rows: chunk, newPeers: peers });
      if (chunk.length > 0) this.o.onWritten?.({ windows: chunk, verdicts: [], flows: [] });
    }
    this.counters.windows += rows.length;
    if (sample.length > 0) {
      await this.flows.write(sample);
      this.o.onWritten?.({ windows: [], verdicts: [], flows: sample });
    }
    if (score && this.scoring && rows.length > 0) {
      for (let i = 0; i < rows.length; i += SCORE_CHUNK) {
        await this.o.yieldTo?.();
        const scored = await this.scoring.process(rows.slice(i, i + SCORE_CHUNK));
        const stored = scored.filter((s) => s.publish).map((s) => s.verdict);
        this.counters.verdicts += stored.length;
        if (stored.length > 0) this.o.onWritten?.({ windows: [], verdicts: stored, flows: [] });
        await this.o.yieldTo?.();
        await this.engine.process(scored);
      }
    }
    const now = this.watermark();
    this.clock = now;
    this.o.onStep?.();
    if (now - this.lastRetention >= 60_000) {
      this.lastRetention = now;
      await this.o.yieldTo?.();
      // The sample is for recent investigation only: a few simulated hours, trimmed each minute.
      await this.flows.deleteBefore(now - 3 * 3_600_000);
    }
  }

  /** Keeps at most `samplePerBucket` flows per source entity and bucket (flows are anonymized by now). */
  private sampleFlow(f: FlowRecord, out: SampledFlow[]): void {
    const bucketMs = this.config.features.bucketSeconds * 1000;
    const bucket = Math.floor(f.ts / bucketMs) * bucketMs;
    if (bucket > this.sampleBucket) {
      this.sampleBucket = bucket;
      this.sampled.clear();
    }
    const src = entityOf('source', f.src, f.srcK8s).entity;
    const n = this.sampled.get(src) ?? 0;
    if (n >= (this.o.samplePerBucket ?? 4)) return;
    this.sampled.set(src, n + 1);
    const dst = f.dstK8s ? entityOf('destination', f.dst, f.dstK8s).entity : `ip:${f.dst}`;
    out.push({ flow: f, srcEntity: src, dstEntity: dst });
  }

  /**
   * Capacity lines for the forecast charts: 1.5× each namespace's busiest minute in the training
   * span (a demo has no capacity plan), unless the configuration names one.
   */
  private async configureCapacity(): Promise<void> {
    const windowMs = this.config.features.windowSeconds * 1000;
    const series = await readAllNamespaceSeries(this.o.store.db, {
      from: this.o.source.start,
      to: this.now(),
      windowMs,
    });
    for (const [ns, s] of series) {
      const key = `namespace:${ns}`;
      if (this.capacity[key] !== undefined) continue;
      const peak = Math.max(0, ...s.flows);
      if (peak > 0) this.capacity[key] = Math.ceil(peak * 1.5);
    }
  }
}
