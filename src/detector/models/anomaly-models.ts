/**
 * Training and loading of the four anomaly detectors as one set: what the training loop calls.
 *
 * `trainAnomalyModels` splits the rows (seeded) into a fitting part and a held-out calibration
 * part (20%, at most 20 000 rows; below 500 rows everything is used for both, since a tiny
 * held-out set would make a noisier map than the small optimism of scoring seen rows). It fits the
 * robust scaler on the fitting part, trains each detector on it, scores the held-out rows with the
 * TypeScript reference and fits that detector's calibration, then exports ONNX. Calibrating on
 * held-out rows matters for the distance models: rows a model was fitted on sit closer to its
 * support vectors, centroids and core points than new normal rows do, which would make every new
 * row look rarer than it is.
 *
 * Everything returned is plain JSON (`params`) plus ONNX bytes; `loadAnomalyModels` rebuilds the
 * TypeScript references from the JSON alone.
 */
import { ForesightError } from '../../errors.js';
import { FEATURE_SCHEMA } from '../features/schema.js';
import { fitCalibration, type CalibrationParams } from './calibration.js';
import { Dbscan, trainDbscan, type DbscanOptions, type DbscanParams } from './dbscan.js';
import {
  IsolationForest,
  trainIsolationForest,
  type IsolationForestOptions,
  type IsolationForestParams,
} from './isolation-forest.js';
import { KMeans, trainKMeans, type KMeansOptions, type KMeansParams } from './kmeans.js';
import { takeRows } from './matrix.js';
import { OneClassSvm, trainOcsvm, type OcsvmOptions, type OcsvmParams } from './ocsvm.js';
import { ModelRng } from './random.js';
import { fitScaler, type ScalerOptions, type ScalerParams } from './scaler.js';
import type { AnomalyDetector, AnomalyDetectorName, Matrix, ModelMeta } from './types.js';

export const ANOMALY_DETECTORS: readonly AnomalyDetectorName[] = [
  'isolation-forest',
  'ocsvm',
  'kmeans',
  'dbscan',
];

interface ParamsBase {
  featureSchemaVersion: number;
  /** The scaler the explanations use (the distance models also carry it inside `detector`). */
  scaler: ScalerParams;
  calibration: CalibrationParams;
}

/** JSON-serialisable parameters of one trained detector, discriminated by `name`. */
export type AnomalyModelParams =
  | (ParamsBase & { name: 'isolation-forest'; detector: IsolationForestParams })
  | (ParamsBase & { name: 'ocsvm'; detector: OcsvmParams })
  | (ParamsBase & { name: 'kmeans'; detector: KMeansParams })
  | (ParamsBase & { name: 'dbscan'; detector: DbscanParams });

export interface TrainedAnomalyModel {
  name: AnomalyDetectorName;
  params: AnomalyModelParams;
  onnx: Uint8Array;
  metrics: { trainMs: number; calibrationMs: number; exportMs: number; onnxBytes: number };
}

export interface TrainAnomalyOptions {
  seed: number;
  /** Which detectors to train (default all four). */
  detectors?: readonly AnomalyDetectorName[];
  /** Share of rows held out for calibration (default 0.2). */
  calibrationShare?: number;
  maxCalibrationRows?: number;
  /** Below this many rows, calibrate on the training rows themselves (default 500). */
  minRowsForHoldout?: number;
  scaler?: ScalerOptions;
  isolationForest?: Omit<IsolationForestOptions, 'seed' | 'columns'>;
  ocsvm?: Omit<OcsvmOptions, 'seed'>;
  kmeans?: Omit<KMeansOptions, 'seed'>;
  dbscan?: Omit<DbscanOptions, 'seed'>;
  /** Written into each ONNX model's metadata (version defaults to 0; the registry may re-export). */
  meta?: Partial<Omit<ModelMeta, 'name' | 'featureSchemaVersion'>>;
  /** Called after each detector, e.g. for a progress bar. */
  onProgress?: (done: number, total: number, name: AnomalyDetectorName) => void;
}

export interface TrainedAnomalyModels {
  models: TrainedAnomalyModel[];
  scaler: ScalerParams;
  rows: { fit: number; calibration: number; heldOut: boolean };
}

/** The TypeScript reference detector for stored parameters. */
export function detectorFromParams(p: AnomalyModelParams): AnomalyDetector {
  switch (p.name) {
    case 'isolation-forest':
      return new IsolationForest(p.detector);
    case 'ocsvm':
      return new OneClassSvm(p.detector);
    case 'kmeans':
      return new KMeans(p.detector);
    case 'dbscan':
      return new Dbscan(p.detector);
  }
}

export interface LoadedAnomalyModel {
  name: AnomalyDetectorName;
  params: AnomalyModelParams;
  detector: AnomalyDetector;
}

export function loadAnomalyModels(params: readonly AnomalyModelParams[]): LoadedAnomalyModel[] {
  return params.map((p) => {
    if (p.featureSchemaVersion !== FEATURE_SCHEMA.version) {
      throw new ForesightError(
        'model-schema-mismatch',
        `${p.name} was trained on feature schema v${p.featureSchemaVersion}, this build has v${FEATURE_SCHEMA.version}`,
      );
    }
    return { name: p.name, params: p, detector: detectorFromParams(p) };
  });
}

/** ONNX bytes for stored parameters with the given metadata (e.g. once the registry assigned a version). */
export function exportAnomalyModel(
  p: AnomalyModelParams,
  meta: Omit<ModelMeta, 'name' | 'featureSchemaVersion'>,
): Uint8Array {
  return detectorFromParams(p).toOnnx({
    ...meta,
    name: p.name,
    featureSchemaVersion: p.featureSchemaVersion,
  });
}

function split(
  x: Matrix,
  options: TrainAnomalyOptions,
): { fit: Matrix; calibration: Matrix; heldOut: boolean } {
  if (x.rows < (options.minRowsForHoldout ?? 500)) return { fit: x, calibration: x, heldOut: false };
  const rng = new ModelRng(options.seed ^ 0x5eed);
  const n = Math.min(
    options.maxCalibrationRows ?? 20_000,
    Math.floor(x.rows * (options.calibrationShare ?? 0.2)),
  );
  const held = rng.sample(x.rows, n);
  const isHeld = new Uint8Array(x.rows);
  for (const i of held) isHeld[i] = 1;
  const rest: number[] = [];
  for (let i = 0; i < x.rows; i++) if (!isHeld[i]) rest.push(i);
  return { fit: takeRows(x, rest), calibration: takeRows(x, held), heldOut: true };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function trainAnomalyModels(
  x: Matrix,
  options: TrainAnomalyOptions,
): Promise<TrainedAnomalyModels> {
  if (x.dims !== FEATURE_SCHEMA.names.length) {
    throw new ForesightError(
      'matrix-shape',
      `rows have ${x.dims} features, schema v${FEATURE_SCHEMA.version} has ${FEATURE_SCHEMA.names.length}`,
    );
  }
  if (x.rows < 10)
    throw new ForesightError('training-too-few-rows', `anomaly models need ≥ 10 rows, got ${x.rows}`);
  const names = options.detectors ?? ANOMALY_DETECTORS;
  const { fit, calibration, heldOut } = split(x, options);
  const scaler = fitScaler(fit, options.scaler);
  const seedOf = (i: number) => (options.seed + 7919 * (i + 1)) >>> 0;
  const base = { featureSchemaVersion: FEATURE_SCHEMA.version, scaler };
  const models: TrainedAnomalyModel[] = [];
  for (const [i, name] of names.entries()) {
    await yieldToLoop();
    const t0 = performance.now();
    const seed = seedOf(ANOMALY_DETECTORS.indexOf(name));
    let params: AnomalyModelParams;
    const uncalibrated = { ...base, calibration: { probs: [], values: [], tail: 1, rows: 0 } };
    switch (name) {
      case 'isolation-forest':
        params = {
          ...uncalibrated,
          name,
          detector: trainIsolationForest(fit, { ...options.isolationForest, seed, columns: scaler.columns }),
        };
        break;
      case 'ocsvm':
        params = { ...uncalibrated, name, detector: trainOcsvm(fit, scaler, { ...options.ocsvm, seed }) };
        break;
      case 'kmeans':
        params = { ...uncalibrated, name, detector: trainKMeans(fit, scaler, { ...options.kmeans, seed }) };
        break;
      case 'dbscan':
        params = { ...uncalibrated, name, detector: trainDbscan(fit, scaler, { ...options.dbscan, seed }) };
        break;
    }
    const t1 = performance.now();
    params.calibration = fitCalibration(detectorFromParams(params).score(calibration));
    const t2 = performance.now();
    const onnx = exportAnomalyModel(params, { version: 0, ...options.meta });
    const t3 = performance.now();
    models.push({
      name,
      params,
      onnx,
      metrics: { trainMs: t1 - t0, calibrationMs: t2 - t1, exportMs: t3 - t2, onnxBytes: onnx.length },
    });
    options.onProgress?.(i + 1, names.length, name);
  }
  return { models, scaler, rows: { fit: fit.rows, calibration: calibration.rows, heldOut } };
}
