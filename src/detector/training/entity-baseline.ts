/**
 * Per-entity baselines of the ensemble anomaly. The detectors model the whole population of
 * windows, so an entity whose ordinary behaviour is unlike most others' (the cluster DNS server,
 * a payment service with its own mix of protocols) scores high all the time. Its baseline is a
 * high quantile of its own training windows' anomaly; scoring then counts only the part of a
 * window's anomaly beyond it (threat.ts `relativeAnomaly`). Entities with too few training
 * windows, and entities never seen, have no baseline and are judged against the population.
 * Stored in the registry as `<kind>/entity-baseline`, computed with the set that was promoted.
 */
import { calibrateAll } from '../models/calibration.js';
import { combine } from '../models/ensemble.js';
import { detectorFromParams, type AnomalyModelParams } from '../models/anomaly-models.js';
import { matrixFromRows } from '../models/matrix.js';
import { quantile } from '../models/forecast/stats.js';
import { FEATURE_COUNT } from '../features/schema.js';
import type { FeatureRow } from '../store/types.js';

export interface EntityBaselineParams {
  kind: 'entity-baseline';
  quantile: number;
  minWindows: number;
  /** Entity key → anomaly quantile over its training windows. */
  entities: Record<string, number>;
}

/** Ensemble anomaly of each row under a set (TypeScript references; the ONNX graphs match them). */
export function ensembleAnomalies(
  models: readonly AnomalyModelParams[],
  rows: readonly FeatureRow[],
): Float64Array {
  const out = new Float64Array(rows.length);
  if (rows.length === 0 || models.length === 0) return out;
  const x = matrixFromRows(
    rows.map((r) => r.vector),
    FEATURE_COUNT,
  );
  const calibrated = models.map((p) => calibrateAll(p.calibration, detectorFromParams(p).score(x)));
  for (let i = 0; i < rows.length; i++) {
    out[i] = combine(models.map((p, k) => ({ detector: p.name, calibrated: calibrated[k]![i]! }))).anomaly;
  }
  return out;
}

export function computeEntityBaselines(
  models: readonly AnomalyModelParams[],
  rows: readonly FeatureRow[],
  options: { quantile: number; minWindows: number },
): EntityBaselineParams {
  const anomalies = ensembleAnomalies(models, rows);
  const byEntity = new Map<string, number[]>();
  rows.forEach((r, i) => {
    const list = byEntity.get(r.entity);
    if (list) list.push(anomalies[i]!);
    else byEntity.set(r.entity, [anomalies[i]!]);
  });
  const entities: Record<string, number> = {};
  for (const [entity, values] of byEntity) {
    if (values.length < options.minWindows) continue;
    entities[entity] = Math.round(quantile(Float64Array.from(values).sort(), options.quantile) * 1e4) / 1e4;
  }
  return { kind: 'entity-baseline', ...options, entities };
}
