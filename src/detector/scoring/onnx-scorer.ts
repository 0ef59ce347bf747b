/**
 * Batch scoring of feature rows with the anomaly detectors' ONNX models through onnxruntime-node.
 *
 * Sessions are created once per model set (one intra-op thread, warnings off). A batch is split
 * into runs of at most 1024 rows (each run costs tens of µs, and the CPU arena grows with the
 * largest batch ever run, ONNX-NOTES); every detector's raw score is calibrated, the ensemble
 * combines them, and each row gets its explanation from the robust scaler.
 *
 * Hot swap: `swap()` builds the new sessions first, then replaces the one reference `score()`
 * reads at its start, so a batch is scored entirely by the set that was current when it began. The
 * old sessions are released once the batches still using them finish. Each result names the model
 * versions that produced it.
 */
import * as ort from 'onnxruntime-node';
import { ForesightError } from '../../errors.js';
import { FEATURE_SCHEMA } from '../features/schema.js';
import type { AnomalyModelParams } from '../models/anomaly-models.js';
import { calibrate } from '../models/calibration.js';
import { combine, type EnsembleOptions } from '../models/ensemble.js';
import { explainRow, type ExplainOptions } from '../models/explain.js';
import { sliceRows } from '../models/matrix.js';
import type { ScalerParams } from '../models/scaler.js';
import type { AnomalyDetectorName, Matrix } from '../models/types.js';
import type { DetectorScore, FeatureContribution } from './verdict.js';

export const MAX_ROWS_PER_RUN = 1024;

/** One model of a set: its registry version, JSON parameters and ONNX bytes. */
export interface ScorerModel {
  version: number;
  params: AnomalyModelParams;
  onnx: Uint8Array;
}

/** What the scorer needs of an onnxruntime session (a seam for tests that count runs). */
export interface ScoringSession {
  run(feeds: Record<string, ort.Tensor>): Promise<Record<string, ort.Tensor>>;
  release(): Promise<void>;
}

export type SessionFactory = (onnx: Uint8Array) => Promise<ScoringSession>;

export const createOrtSession: SessionFactory = (onnx) =>
  ort.InferenceSession.create(onnx, { logSeverityLevel: 3, intraOpNumThreads: 1, interOpNumThreads: 1 });

export interface OnnxScorerOptions {
  ensemble?: EnsembleOptions;
  explain?: ExplainOptions;
  /** Rows per session run, ≤ 1024 (default 1024). */
  maxRowsPerRun?: number;
  createSession?: SessionFactory;
}

export interface RowScore {
  detectors: DetectorScore[];
  anomaly: number;
  agreement: number;
  /** k-means cluster of the row, when k-means is in the set. */
  cluster?: number;
  explanation?: { summary: string; features: FeatureContribution[] };
}

export interface BatchScore {
  rows: RowScore[];
  /** Model name → registry version that scored this batch. */
  models: Record<string, number>;
}

export interface ScoreOptions {
  /** Build explanations: for every row (default), none, or rows whose anomaly reaches a value. */
  explain?: boolean | { minAnomaly: number };
}

interface Loaded {
  name: AnomalyDetectorName;
  version: number;
  params: AnomalyModelParams;
  session: ScoringSession;
}

interface ModelSet {
  models: Loaded[];
  scaler: ScalerParams;
  dims: number;
  versions: Record<string, number>;
  inFlight: number;
  retired: boolean;
  released?: Promise<void>;
}

function validate(models: readonly ScorerModel[]): { scaler: ScalerParams; dims: number } {
  if (models.length === 0) throw new ForesightError('scorer-no-models', 'a scorer needs at least one model');
  const names = new Set<string>();
  for (const m of models) {
    if (names.has(m.params.name))
      throw new ForesightError('scorer-duplicate-model', `${m.params.name} given twice`);
    names.add(m.params.name);
    if (m.params.featureSchemaVersion !== FEATURE_SCHEMA.version) {
      throw new ForesightError(
        'model-schema-mismatch',
        `${m.params.name} v${m.version} expects feature schema v${m.params.featureSchemaVersion}, rows are v${FEATURE_SCHEMA.version}`,
      );
    }
  }
  const first = models[0]!.params;
  return { scaler: first.scaler, dims: first.detector.dims };
}

async function releaseAll(models: readonly Loaded[]): Promise<void> {
  await Promise.all(models.map((m) => m.session.release()));
}

export class OnnxScorer {
  private current: ModelSet;

  private constructor(
    initial: ModelSet,
    private readonly options: OnnxScorerOptions,
  ) {
    this.current = initial;
  }

  static async create(models: readonly ScorerModel[], options: OnnxScorerOptions = {}): Promise<OnnxScorer> {
    const max = options.maxRowsPerRun ?? MAX_ROWS_PER_RUN;
    if (!(max >= 1 && max <= MAX_ROWS_PER_RUN)) {
      throw new ForesightError('scorer-bad-batch', `maxRowsPerRun must be within 1 … ${MAX_ROWS_PER_RUN}`);
    }
    return new OnnxScorer(await OnnxScorer.load(models, options.createSession ?? createOrtSession), options);
  }

  private static async load(models: readonly ScorerModel[], factory: SessionFactory): Promise<ModelSet> {
    const { scaler, dims } = validate(models);
    const settled = await Promise.allSettled(models.map((m) => factory(m.onnx)));
    const loaded: Loaded[] = [];
    settled.forEach((s, i) => {
      const m = models[i]!;
      if (s.status === 'fulfilled')
        loaded.push({ name: m.params.name, version: m.version, params: m.params, session: s.value });
    });
    const failed = settled.findIndex((s) => s.status === 'rejected');
    if (failed >= 0) {
      await releaseAll(loaded);
      const m = models[failed]!;
      throw new ForesightError(
        'model-load-failed',
        `${m.params.name} v${m.version}: onnxruntime refused the model`,
        {
          cause: (settled[failed] as PromiseRejectedResult).reason,
        },
      );
    }
    const versions = Object.fromEntries(loaded.map((m) => [m.name, m.version]));
    return { models: loaded, scaler, dims, versions, inFlight: 0, retired: false };
  }

  /** Versions of the set new batches are scored with. */
  get versions(): Record<string, number> {
    return { ...this.current.versions };
  }

  /**
   * Loads a new model set and makes it current. Batches already running finish on the old set,
   * which is released afterwards; if loading fails the current set stays and the error is thrown.
   */
  async swap(models: readonly ScorerModel[]): Promise<void> {
    const next = await OnnxScorer.load(models, this.options.createSession ?? createOrtSession);
    const old = this.current;
    this.current = next;
    await this.retire(old);
  }

  /** Releases the sessions; the scorer cannot be used afterwards. */
  async close(): Promise<void> {
    await this.retire(this.current);
  }

  private async retire(set: ModelSet): Promise<void> {
    set.retired = true;
    if (set.inFlight === 0) {
      set.released ??= releaseAll(set.models);
      await set.released;
    }
  }

  async score(x: Matrix, options: ScoreOptions = {}): Promise<BatchScore> {
    const set = this.current;
    if (set.retired) throw new ForesightError('scorer-closed', 'the scorer was closed');
    if (x.dims !== set.dims) {
      throw new ForesightError('matrix-shape', `rows have ${x.dims} features, the models expect ${set.dims}`);
    }
    set.inFlight++;
    try {
      const raw = await this.runAll(set, x);
      return { rows: this.assemble(set, x, raw, options), models: { ...set.versions } };
    } finally {
      set.inFlight--;
      if (set.retired && set.inFlight === 0) {
        set.released ??= releaseAll(set.models);
        await set.released;
      }
    }
  }

  /** Raw scores (and the k-means cluster) of every row, run by run. */
  private async runAll(set: ModelSet, x: Matrix): Promise<{ scores: Float32Array[]; cluster?: Int32Array }> {
    const scores = set.models.map(() => new Float32Array(x.rows));
    const kmeans = set.models.findIndex((m) => m.name === 'kmeans');
    const cluster = kmeans >= 0 ? new Int32Array(x.rows) : undefined;
    const step = this.options.maxRowsPerRun ?? MAX_ROWS_PER_RUN;
    for (let from = 0; from < x.rows; from += step) {
      const part = sliceRows(x, from, from + step);
      const input = new ort.Tensor('float32', part.data, [part.rows, part.dims]);
      const outs = await Promise.all(set.models.map((m) => m.session.run({ X: input })));
      outs.forEach((out, k) => {
        const s = out.score;
        if (!s) throw new ForesightError('model-bad-output', `${set.models[k]!.name} returned no score`);
        scores[k]!.set(s.data as Float32Array, from);
        if (k === kmeans && cluster && out.cluster) {
          const c = out.cluster.data as BigInt64Array;
          for (let i = 0; i < c.length; i++) cluster[from + i] = Number(c[i]);
        }
      });
    }
    return cluster ? { scores, cluster } : { scores };
  }

  private assemble(
    set: ModelSet,
    x: Matrix,
    raw: { scores: Float32Array[]; cluster?: Int32Array },
    options: ScoreOptions,
  ): RowScore[] {
    const rows: RowScore[] = [];
    const explain = options.explain ?? true;
    for (let i = 0; i < x.rows; i++) {
      const detectors: DetectorScore[] = set.models.map((m, k) => {
        const r = raw.scores[k]![i]!;
        return { detector: m.name, score: calibrate(m.params.calibration, r), raw: r };
      });
      const { anomaly, agreement } = combine(
        detectors.map((d, k) => ({ detector: set.models[k]!.name, calibrated: d.score })),
        this.options.ensemble,
      );
      const row: RowScore = { detectors, anomaly, agreement };
      if (raw.cluster) row.cluster = raw.cluster[i]!;
      if (explain === true || (typeof explain === 'object' && anomaly >= explain.minAnomaly)) {
        const vector = x.data.subarray(i * x.dims, (i + 1) * x.dims);
        row.explanation = explainRow(set.scaler, vector, detectors, this.options.explain);
      }
      rows.push(row);
    }
    return rows;
  }
}
