/**
 * Turns one window's model outputs into its verdict: forecast → anomaly, feedback offset,
 * impact from criticality / denied ratio / capacity breach, confidence from agreement / history /
 * validation quality, the threat, the trend prediction and the explanation (threat.ts has the
 * formulas). Pure apart from the entity memory it updates; the scoring service calls it per row.
 */
import type { ScoringConfig } from '../../config/scoring-schema.js';
import { FEATURE_SCHEMA } from '../features/schema.js';
import type { KnownIdentity } from '../ingest/identity-index.js';
import { agreementWithRule, rarity } from '../models/ensemble.js';
import { explainRow } from '../models/explain.js';
import type { ScalerParams } from '../models/scaler.js';
import type { FeatureRow } from '../store/types.js';
import type { EntityMemory } from './entity-state.js';
import type { RowForecast } from './forecast-scoring.js';
import type { RowScore } from './onnx-scorer.js';
import type { ScanVerdict } from './scan-scoring.js';
import {
  applyOffset,
  confidenceScore,
  highestCriticality,
  impactScore,
  relativeAnomaly,
  threatOf,
  withForecast,
} from './threat.js';
import { predictThreatCrossing } from './threat-trend.js';
import { buildVerdict } from './verdict-builder.js';
import type { Verdict } from './verdict.js';

export interface RowContext {
  row: FeatureRow;
  score: RowScore;
  /** The source's scan test, when it has evidence: a rule detector joining the ensemble. */
  scan?: ScanVerdict;
  forecast?: RowForecast;
  memory: EntityMemory;
  offset: number;
  /** The entity's usual anomaly level from training (entity-baseline), if it has one. */
  baseline?: number;
  /** Identity of the entity and of its top peers, where the ingest pipeline saw them. */
  identity?: KnownIdentity;
  peers: (KnownIdentity | undefined)[];
  quality: number;
  models: Record<string, number>;
  scaler?: ScalerParams;
  aligned: boolean;
  scoredAt: number;
}

const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

export function scoreRow(ctx: RowContext, cfg: ScoringConfig): Verdict {
  const { row } = ctx;
  const score = withScan(ctx.score, ctx.scan);
  const forecastOob = ctx.forecast?.outOfInterval ?? 0;
  const relative = relativeAnomaly(ctx.score.anomaly, ctx.baseline, cfg.entityBaselineWeight);
  // The scan test is already the source's own history, so the baseline does not discount it.
  const ruled = Math.max(relative, ctx.scan ? rarity(ctx.scan.detector.score) : 0);
  const raised = withForecast(ruled, forecastOob, cfg.forecastWeight);
  const anomaly = applyOffset(raised, ctx.offset);
  const criticality = highestCriticality([ctx.identity?.labels, ...ctx.peers.map((p) => p?.labels)]);
  const impact = impactScore(
    {
      criticality,
      deniedRatio: row.vector[FEATURE_SCHEMA.index.denied_ratio] ?? 0,
      capacityBreach: ctx.forecast?.bottleneck !== undefined,
    },
    cfg.impact,
  );
  const confidence = confidenceScore(
    { agreement: score.agreement, historyWindows: ctx.memory.history, quality: ctx.quality },
    cfg.confidence,
  );
  const threat = threatOf({ anomaly, impact, confidence }, cfg.weights);

  let prediction = ctx.forecast?.bottleneck;
  if (ctx.aligned) {
    // The caller records this point in the entity's memory afterwards.
    const points = [...ctx.memory.trend, { t: row.windowEnd, score: threat }];
    const attack = predictThreatCrossing(points, cfg.actionThreshold, cfg.horizonSeconds);
    if (attack) prediction = attack;
  }

  let explanation = score.explanation;
  if (!explanation && ctx.scaler && threat >= cfg.minThreat) {
    explanation = explainRow(ctx.scaler, row.vector, score.detectors);
  }
  const extra: string[] = [];
  // The test's own words when it decided or is what raised the anomaly.
  if (ctx.scan && (ctx.scan.scanner || ruled > relative)) extra.push(ctx.scan.summary);
  if (ctx.forecast?.detail && forecastOob > 0) extra.push(ctx.forecast.detail);
  if (criticality) extra.push(`${criticality} criticality`);
  if (ctx.baseline !== undefined && relative < ctx.score.anomaly - 0.05) {
    extra.push(`usual for this entity (its anomaly is often ${ctx.baseline.toFixed(2)})`);
  }
  if (ctx.offset > 0) extra.push(`bar raised by ${ctx.offset.toFixed(2)} after false positives`);
  if (prediction) extra.push(prediction.detail);
  const summary = [explanation?.summary, ...extra].filter((s) => s).join('; ');

  return buildVerdict({
    row,
    scoredAt: ctx.scoredAt,
    scores: { anomaly: r4(anomaly), impact: r4(impact), confidence: r4(confidence), threat: r4(threat) },
    detectors: [...score.detectors, ...(ctx.forecast?.detectors ?? [])],
    summary,
    features: explanation?.features ?? [],
    models: ctx.models,
    ...(prediction ? { prediction } : {}),
  });
}

/** The models' scores with the scan rule's vote in the agreement and its entry among the detectors. */
function withScan(score: RowScore, scan: ScanVerdict | undefined): RowScore {
  if (!scan) return score;
  const agreement = agreementWithRule(score.agreement, score.detectors.length, scan.detector.score);
  return { ...score, agreement, detectors: [...score.detectors, scan.detector] };
}
