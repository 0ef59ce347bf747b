/**
 * Validation of anomaly-detector candidates, and the promotion rule (docs/adr/0011).
 *
 * A detector is judged on rows it never saw, with the TypeScript reference (the ONNX graph is
 * parity-tested against it):
 * - holdout exceedance: the share of the time-ordered holdout (normal by assumption) it calls
 *   rarer than 1-in-100. A detector that generalises calls ~1%; one that learned stale or narrow
 *   behaviour calls many more. Quality from it: √min(1, 1% / observed share).
 * - with feedback: ROC-AUC of its calibrated score, confirmed attacks (TruePositive windows) as
 *   positives against analyst-cleared windows (FalsePositive) and the holdout as negatives.
 * Quality = the holdout part alone, or the mean of both when there is feedback.
 *
 * Promotion: a candidate is promoted when its quality reaches `minQuality` and is no more than
 * `maxRegression` below the active version's quality measured on the same rows now.
 */
import { combine } from '../models/ensemble.js';
import { calibrateAll } from '../models/calibration.js';
import { detectorFromParams, type AnomalyModelParams } from '../models/anomaly-models.js';
import { matrixFromRows } from '../models/matrix.js';
import type { Matrix } from '../models/types.js';
import type { FeatureRow } from '../store/types.js';
import { rocAuc, type Scored } from './ranking-metrics.js';

/** Calibrated level counted as an exceedance: 1-in-100 (the ensemble's "agrees" level). */
export const EXCEEDANCE_LEVEL = 0.99;
const EXPECTED = 1 - EXCEEDANCE_LEVEL;

export interface ValidationData {
  holdout: Matrix;
  truePositive: Matrix;
  falsePositive: Matrix;
}

export interface DetectorValidation {
  quality: number;
  holdoutRows: number;
  holdoutExceedance: number;
  /** Confirmed attacks vs cleared and holdout windows; absent without TruePositive feedback. */
  feedbackAuc?: number;
  truePositiveRows: number;
  falsePositiveRows: number;
}

export function validationData(
  set: {
    holdout: readonly FeatureRow[];
    truePositive: readonly FeatureRow[];
    falsePositive: readonly FeatureRow[];
  },
  dims: number,
): ValidationData {
  const m = (rows: readonly FeatureRow[]) =>
    matrixFromRows(
      rows.map((r) => r.vector),
      dims,
    );
  return { holdout: m(set.holdout), truePositive: m(set.truePositive), falsePositive: m(set.falsePositive) };
}

function calibrated(params: AnomalyModelParams, x: Matrix): Float64Array {
  if (x.rows === 0) return new Float64Array(0);
  return calibrateAll(params.calibration, detectorFromParams(params).score(x));
}

export function validateDetector(params: AnomalyModelParams, data: ValidationData): DetectorValidation {
  const holdout = calibrated(params, data.holdout);
  let over = 0;
  for (const c of holdout) if (c >= EXCEEDANCE_LEVEL) over++;
  const exceedance = holdout.length > 0 ? over / holdout.length : 0;
  const holdoutQuality =
    holdout.length > 0 ? Math.sqrt(Math.min(1, EXPECTED / Math.max(exceedance, 1e-9))) : 0.5;
  const out: DetectorValidation = {
    quality: holdoutQuality,
    holdoutRows: holdout.length,
    holdoutExceedance: exceedance,
    truePositiveRows: data.truePositive.rows,
    falsePositiveRows: data.falsePositive.rows,
  };
  if (data.truePositive.rows > 0) {
    const items: Scored[] = [
      ...Array.from(calibrated(params, data.truePositive), (score) => ({ score, positive: true })),
      ...Array.from(calibrated(params, data.falsePositive), (score) => ({ score, positive: false })),
      ...Array.from(holdout, (score) => ({ score, positive: false })),
    ];
    const auc = rocAuc(items);
    if (auc !== undefined) {
      out.feedbackAuc = auc;
      out.quality = (holdoutQuality + auc) / 2;
    }
  }
  return out;
}

export interface EnsembleValidation {
  /** Anomaly at which a window is counted as alerting. */
  alertAnomaly: number;
  holdoutAlertRate: number;
  /** Share of confirmed-attack windows the set alerts on (should be high). */
  truePositiveAlertRate?: number;
  /** Share of analyst-cleared windows the set stays quiet on (should be high). */
  falsePositiveQuietRate?: number;
}

function ensembleScores(models: readonly AnomalyModelParams[], x: Matrix): number[] {
  const per = models.map((p) => calibrated(p, x));
  const out: number[] = [];
  for (let i = 0; i < x.rows; i++) {
    out.push(combine(models.map((p, k) => ({ detector: p.name, calibrated: per[k]![i]! }))).anomaly);
  }
  return out;
}

/** How the set as a whole treats the holdout and the feedback windows at an anomaly alert bar. */
export function validateEnsemble(
  models: readonly AnomalyModelParams[],
  data: ValidationData,
  alertAnomaly: number,
): EnsembleValidation {
  const rate = (scores: number[], above: boolean) =>
    scores.length === 0
      ? undefined
      : scores.filter((s) => s >= alertAnomaly === above).length / scores.length;
  const out: EnsembleValidation = {
    alertAnomaly,
    holdoutAlertRate: rate(ensembleScores(models, data.holdout), true) ?? 0,
  };
  const tp = rate(ensembleScores(models, data.truePositive), true);
  const fp = rate(ensembleScores(models, data.falsePositive), false);
  if (tp !== undefined) out.truePositiveAlertRate = tp;
  if (fp !== undefined) out.falsePositiveQuietRate = fp;
  return out;
}

export interface PromotionRule {
  minQuality: number;
  maxRegression: number;
}

export interface Decision {
  promote: boolean;
  reason: string;
}

export function decidePromotion(
  candidate: number,
  active: number | undefined,
  rule: PromotionRule,
): Decision {
  const c = candidate.toFixed(3);
  if (!(candidate >= rule.minQuality)) {
    return { promote: false, reason: `quality ${c} below the minimum ${rule.minQuality}` };
  }
  if (active === undefined) return { promote: true, reason: `quality ${c}; no active version` };
  if (candidate < active - rule.maxRegression) {
    return { promote: false, reason: `quality ${c} worse than the active version's ${active.toFixed(3)}` };
  }
  return { promote: true, reason: `quality ${c} vs active ${active.toFixed(3)}` };
}
