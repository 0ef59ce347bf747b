/**
 * Evaluation of a labelled flow file with the production code paths, offline: the file's
 * features go into an in-memory PGlite store (`extractFeatures`), the trainer trains every model
 * on the windows that end by `trainUntil` and promotes through the registry, and the scoring
 * service scores every later window in event-time order, in batches of windows that end
 * together (as the detector's flushes deliver them), storing its verdicts as the detector does.
 * Ground truth comes from the file's labels (ground-truth.ts); metrics.ts computes the figures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { extractFeatures, type OfflineSummary } from '../detector/ingest/offline.js';
import { IdentityIndex } from '../detector/ingest/identity-index.js';
import { FeatureStore } from '../detector/store/feature-store.js';
import { Leases } from '../detector/store/leases.js';
import { ModelRegistry } from '../detector/store/model-registry.js';
import { PgliteDb } from '../detector/store/pglite-db.js';
import type { FeatureRow } from '../detector/store/types.js';
import { VerdictStore } from '../detector/store/verdict-store.js';
import { ScoringService, type ScoredWindow } from '../detector/scoring/scoring-service.js';
import { MemoryVerdictPublisher } from '../detector/scoring/verdict-publisher.js';
import type { DetectorScore } from '../detector/scoring/verdict.js';
import { SCAN_DETECTOR } from '../detector/models/scan-test.js';
import { recordFeedback } from '../detector/training/feedback.js';
import { Trainer, type TrainReport } from '../detector/training/trainer.js';
import type { Db } from '../detector/store/db.js';
import type { AddressAnonymizer } from '../flows/anonymizer.js';
import { MemoryDeadLetterSink } from '../flows/dead-letter.js';
import type { Enricher } from '../flows/enrichment.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics.js';
import { countLines, createProgress } from '../observability/progress.js';
import { CidrSet } from '../util/cidr.js';
import {
  addFileTo,
  GroundTruthBuilder,
  groundTruthOfFile,
  type GroundTruth,
  type HostClass,
} from './ground-truth.js';
import { eventSpan, shiftHistoryFiles } from './history-files.js';
import {
  alertTiming,
  entityMetrics,
  entityScores,
  windowMetrics,
  type AlertTiming,
  type Classified,
  type EntityScore,
  type WindowScore,
} from './metrics.js';
import { sourceRanking, sourceScores, type SourceRanking, type SourceScore } from './source-metrics.js';

export interface EvaluateFileOptions {
  file: string;
  format?: string;
  config: Config;
  /** Train on windows ending by this time (epoch ms); default: when `trainShare` of the windows have ended. */
  trainUntil?: number;
  trainShare: number;
  alertThreshold: number;
  blockThreshold: number;
  enricher: Enricher;
  anonymizer: AddressAnonymizer;
  logger: Logger;
  registry: Registry;
  progress?: boolean;
  /**
   * Act as an analyst who reviewed the training span: every source that sent labelled-malicious
   * flows before `trainUntil` gets TruePositive feedback for its windows up to then (labels after
   * the cut are never used). Exercises the feedback loop; report it apart from the unsupervised run.
   */
  reviewTrainingSpan?: boolean;
  /**
   * Other captures to use as history (leave-one-capture-out): shifted back by whole days to end
   * before this file starts, extracted first, and trained on (with `trainUntil` defaulting to
   * this file's first event). With `reviewTrainingSpan`, their labels are the analyst's review.
   */
  historyFiles?: readonly string[];
  /**
   * No training at all: every window is scored by the detectors that need none (the scan test,
   * docs/adr/0015), as a detector does before its first models are promoted. For captures too
   * short to train on, and to measure the rules by themselves.
   */
  rulesOnly?: boolean;
  /** Sees every scored window with its verdict (reports, debugging). */
  onScored?: (s: ScoredWindow) => void;
}

export type KindFilter = 'all' | 'source' | 'destination';

export interface EvaluationResult {
  file: string;
  extraction: OfflineSummary;
  truth: GroundTruth;
  trainUntil: number;
  training: TrainReport;
  windows: WindowScore[];
  windowMetrics: Record<KindFilter, Classified>;
  entityMetrics: Record<KindFilter, Classified>;
  entities: EntityScore[];
  /** Per source: highest threat and anomaly, and its role from the labels it sent (source-metrics.ts). */
  sources: SourceScore[];
  sourceRanking: SourceRanking;
  /** Source entities that sent malicious flows. */
  timings: AlertTiming[];
  alertThreshold: number;
  blockThreshold: number;
  latenessMs: number;
  /**
   * Entities of verified-normal hosts whose threat reached the block threshold in a window holding
   * no malicious flow (a victim's window full of attack traffic may rise; blocking acts on its peers).
   */
  normalBlocked: EntityScore[];
  backgroundBlocked: number;
  versions: Record<string, number>;
  /** Sources given TruePositive feedback from the training span's labels (reviewTrainingSpan). */
  reviewed: number;
}

const KINDS: KindFilter[] = ['all', 'source', 'destination'];

const scanScoreOf = (detectors: readonly DetectorScore[]): { scan?: number } => {
  const d = detectors.find((x) => x.detector === SCAN_DETECTOR);
  return d ? { scan: d.score } : {};
};

/** Consecutive windows grouped by window end, merged until a batch holds at least `min` rows. */
export function* batchesByWindowEnd(rows: readonly FeatureRow[], min = 512): Generator<FeatureRow[]> {
  let batch: FeatureRow[] = [];
  let end: number | undefined;
  for (const r of rows) {
    if (end !== undefined && r.windowEnd !== end && batch.length >= min) {
      yield batch;
      batch = [];
    }
    batch.push(r);
    end = r.windowEnd;
  }
  if (batch.length > 0) yield batch;
}

/**
 * The window end by which `share` of all windows have ended: the training cut by volume rather
 * than by clock time, so a stray early record (Zeek logs connections when they end) or a quiet
 * night does not move it.
 */
async function shareOfWindows(store: FeatureStore, share: number): Promise<number> {
  const ends = (await store.readFeatures({})).map((r) => r.windowEnd).sort((a, b) => a - b);
  if (ends.length === 0) return 0;
  return ends[Math.min(ends.length - 1, Math.floor(share * ends.length))]!;
}

/** TruePositive feedback for every source with labelled-malicious flows before `until`. */
async function reviewTrainingSpan(db: Db, truth: GroundTruth, until: number): Promise<number> {
  let n = 0;
  for (const t of truth.entities.values()) {
    if (!(t.maliciousTimes[0]! < until)) continue;
    await recordFeedback(db, {
      incident: `evaluation-review/${t.key}`,
      kind: 'source',
      entity: t.key,
      windowEnd: until,
      verdict: 'TruePositive',
      analyst: 'evaluation (training-span labels)',
    });
    n++;
  }
  return n;
}

export async function evaluateFile(o: EvaluateFileOptions): Promise<EvaluationResult> {
  const { config, logger, registry } = o;
  const db = await PgliteDb.open({ schema: config.store.schema });
  try {
    const store = new FeatureStore(db, config.store, { logger, registry, ownsDb: false });
    await store.migrate();
    const identities = new IdentityIndex(config.scoring.entityCacheSize);
    const parts = {
      enricher: o.enricher,
      anonymizer: o.anonymizer,
      internal: new CidrSet(config.features.internalCidrs),
    };
    const extract = async (path: string, format: string | undefined, label: string) => {
      const lines = path.endsWith('.gz') ? 0 : await countLines(path);
      const bar = createProgress(label, lines, {
        unit: 'lines',
        ...(o.progress === undefined ? {} : { enabled: o.progress }),
      });
      return extractFeatures(path, {
        config,
        store,
        deadLetters: new MemoryDeadLetterSink(),
        enricher: o.enricher,
        anonymizer: o.anonymizer,
        registry,
        identities,
        ...(format ? { format } : {}),
        onProgress: (n) => bar.update(n),
      }).finally(() => bar.stop());
    };
    let historyTruth: GroundTruth | undefined;
    let historyStart: number | undefined;
    if (o.historyFiles && o.historyFiles.length > 0) {
      const span = await eventSpan(o.file, o.format);
      const dir = await mkdtemp(join(tmpdir(), 'foresight-history-'));
      try {
        const shifted = await shiftHistoryFiles(o.historyFiles, span?.first ?? 0, dir, o.format);
        const builder = new GroundTruthBuilder(parts);
        for (const h of shifted) {
          await extract(h.path, 'foresight-ndjson', 'history');
          await addFileTo(builder, h.path, 'foresight-ndjson');
        }
        historyTruth = builder.finish();
        historyStart = span?.first;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    }
    const extraction = await extract(o.file, o.format, 'features');
    const truth = await groundTruthOfFile(o.file, parts, o.format);
    const trainUntil = o.rulesOnly
      ? (extraction.firstEvent ?? 0) - 1
      : (o.trainUntil ?? historyStart ?? (await shareOfWindows(store, o.trainShare)));
    let reviewed = 0;
    if (o.reviewTrainingSpan) {
      reviewed += await reviewTrainingSpan(db, truth, trainUntil);
      if (historyTruth) reviewed += await reviewTrainingSpan(db, historyTruth, trainUntil);
    }
    const modelRegistry = new ModelRegistry(db);
    const trainer = new Trainer({
      db,
      registry: modelRegistry,
      leases: new Leases(db),
      config,
      logger,
      holder: 'evaluate',
      ...(o.progress === undefined ? {} : { progress: o.progress }),
    });
    const training: TrainReport = o.rulesOnly
      ? { ran: false, models: [], feedbackUsed: 0, ms: 0 }
      : await trainer.trainNow({ until: trainUntil, reason: 'evaluation' });
    const service = new ScoringService({
      db,
      registry: modelRegistry,
      verdicts: new VerdictStore(db, store.partitions),
      publisher: new MemoryVerdictPublisher(),
      identities,
      config,
      logger,
      metrics: registry,
    });
    await service.refresh();
    const windowMs = config.features.windowSeconds * 1000;
    const rows = (await store.readFeatures({ from: trainUntil - windowMs }))
      .filter((r) => r.windowEnd > trainUntil)
      .sort((a, b) => a.windowEnd - b.windowEnd);
    const scoreBar = createProgress('score', rows.length, {
      unit: 'windows',
      ...(o.progress === undefined ? {} : { enabled: o.progress }),
    });
    const windows: WindowScore[] = [];
    try {
      for (const batch of batchesByWindowEnd(rows)) {
        for (const s of await service.process(batch)) {
          o.onScored?.(s);
          windows.push({
            kind: s.row.kind,
            entity: s.row.entity,
            windowStart: s.row.windowStart,
            windowEnd: s.row.windowEnd,
            threat: s.verdict.scores.threat,
            maliciousFlows: s.row.maliciousFlows,
            anomaly: s.verdict.scores.anomaly,
            ...scanScoreOf(s.verdict.detectors),
            impact: s.verdict.scores.impact,
            confidence: s.verdict.scores.confidence,
          });
        }
        scoreBar.increment(batch.length);
      }
    } finally {
      scoreBar.stop();
    }
    const versions = service.versions;
    await service.close();
    return {
      ...summarizeRun({ o, extraction, truth, trainUntil, training, windows, versions, windowMs }),
      reviewed,
    };
  } finally {
    await db.close();
  }
}

function summarizeRun(p: {
  o: EvaluateFileOptions;
  extraction: OfflineSummary;
  truth: GroundTruth;
  trainUntil: number;
  training: TrainReport;
  windows: WindowScore[];
  versions: Record<string, number>;
  windowMs: number;
}): Omit<EvaluationResult, 'reviewed'> {
  const { o, truth, windows } = p;
  const hostClass = (entity: string): HostClass => truth.entities.get(entity)?.hostClass ?? 'unlabelled';
  const latenessMs = o.config.features.allowedLatenessSeconds * 1000;
  const byKind = (k: KindFilter) => windows.filter((w) => k === 'all' || w.kind === k);
  const entities = entityScores(windows, hostClass);
  const wm = {} as Record<KindFilter, Classified>;
  const em = {} as Record<KindFilter, Classified>;
  for (const k of KINDS) {
    wm[k] = windowMetrics(byKind(k), hostClass, o.alertThreshold);
    em[k] = entityMetrics(
      entities.filter((e) => k === 'all' || e.kind === k),
      o.alertThreshold,
    );
  }
  const perEntity = new Map<string, WindowScore[]>();
  for (const w of windows) {
    if (w.kind !== 'source') continue;
    const list = perEntity.get(w.entity);
    if (list) list.push(w);
    else perEntity.set(w.entity, [w]);
  }
  const quiet = entityScores(
    windows.filter((w) => w.maliciousFlows === 0),
    hostClass,
  );
  const timings: AlertTiming[] = [];
  for (const t of truth.entities.values()) {
    if (t.maliciousTimes.length === 0) continue;
    timings.push(
      alertTiming('source', t.key, perEntity.get(t.key) ?? [], t.maliciousTimes, {
        threshold: o.alertThreshold,
        latenessMs,
        scoringStart: p.trainUntil,
      }),
    );
  }
  timings.sort((a, b) => b.maliciousFlows - a.maliciousFlows);
  const sources = sourceScores(windows, (e) => truth.entities.get(e));
  return {
    file: o.file,
    extraction: p.extraction,
    truth,
    trainUntil: p.trainUntil,
    training: p.training,
    windows,
    windowMetrics: wm,
    entityMetrics: em,
    entities,
    sources,
    sourceRanking: sourceRanking(sources),
    timings,
    alertThreshold: o.alertThreshold,
    blockThreshold: o.blockThreshold,
    latenessMs,
    normalBlocked: quiet.filter((e) => e.hostClass === 'normal' && e.maxThreat >= o.blockThreshold),
    backgroundBlocked: quiet.filter((e) => e.hostClass === 'background' && e.maxThreat >= o.blockThreshold)
      .length,
    versions: p.versions,
  };
}
