/**
 * The `training` and `scoring` sections of the configuration: when and on what the models are
 * retrained and promoted, and how the detector turns model outputs into threat scores and
 * verdicts (weights, thresholds, horizon, capacities, feedback offsets, publishing). Part of
 * configSchema (schema.ts). Decisions behind the defaults: docs/adr/0011 and 0012.
 */
import { z } from 'zod';

const unit = (def: number) => z.number().min(0).max(1).default(def);

export const trainingSchema = z
  .object({
    /** The detector's periodic training loop (only the replica holding the lease trains). */
    enabled: z.boolean().default(true),
    intervalMinutes: z.number().min(1).default(360),
    /** After new analyst feedback, train this soon (0: at the next check). */
    feedbackDelaySeconds: z.number().min(0).default(60),
    /** How often the loop checks for new feedback. */
    checkIntervalSeconds: z.number().min(1).default(30),
    /** Feature history a training run reads, back from the newest window. */
    historyDays: z.number().min(0.001).default(7),
    /** Rows at most (the newest are kept). */
    maxRows: z.number().int().min(100).default(200_000),
    /** Fewer usable rows than this: no training. */
    minRows: z.number().int().min(10).default(200),
    /** Time-ordered share of the rows, at the end, held out for validation. */
    holdoutShare: z.number().min(0.05).max(0.5).default(0.2),
    /** False-positive windows are repeated this many times in the training set. */
    falsePositiveWeight: z.number().int().min(1).max(20).default(3),
    seed: z.number().int().default(1),
    /** Per-entity anomaly baselines (training/entity-baseline.ts). */
    entityBaseline: z
      .object({
        /** Quantile of an entity's own training windows' anomaly taken as its usual level. */
        quantile: unit(0.95),
        /** Fewer training windows than this: no baseline, judged against the population. */
        minWindows: z.number().int().min(1).default(20),
      })
      .prefault({}),
    lease: z
      .object({
        name: z.string().min(1).default('trainer'),
        ttlSeconds: z.number().min(1).default(900),
      })
      .prefault({}),
    promotion: z
      .object({
        /** A candidate below this validation quality is rejected outright. */
        minQuality: unit(0.25),
        /** A candidate this much worse than the active version on the same holdout is rejected. */
        maxRegression: unit(0.02),
      })
      .prefault({}),
    forecast: z
      .object({
        /** Per-entity, per-namespace and per-service series forecast, the busiest first. */
        maxTargets: z.number().int().min(0).default(64),
        /** Fewer points (steps of one window length) than this: no forecaster for the target. */
        minPoints: z.number().int().min(10).default(30),
        lstm: z
          .object({
            maxTargets: z.number().int().min(0).default(2),
            epochs: z.number().int().min(1).default(3),
            window: z.number().int().min(4).default(32),
            units: z.number().int().min(2).default(16),
          })
          .prefault({}),
      })
      .prefault({}),
  })
  .prefault({});

export const scoringSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** Verdicts with a threat at least this (or with a prediction) are published and stored. */
    minThreat: unit(0.3),
    /** The action threshold a rising trend is projected to (ThreatPolicy's default incident threshold). */
    actionThreshold: unit(0.5),
    weights: z.object({ anomaly: unit(0.6), impact: unit(0.3), confidence: unit(0.1) }).prefault({}),
    /** How far ahead forecasts and trend predictions look. */
    horizonSeconds: z.number().min(60).default(3600),
    /** How often the registry is polled for newly promoted versions. */
    modelPollSeconds: z.number().min(0.1).default(30),
    /** Capacity per forecast target in flows per minute: keys `namespace:<ns>`, `service:<ns/workload>`, `entity:<key>`. */
    capacity: z.record(z.string(), z.number().positive()).default({}),
    thresholds: z
      .object({
        /** Raise of an entity's bar per false positive (taken off its anomaly score). */
        falsePositiveStep: unit(0.1),
        maxOffset: unit(0.3),
      })
      .prefault({}),
    impact: z
      .object({
        criticality: z
          .object({ high: unit(0.8), medium: unit(0.5), low: unit(0.1), unknown: unit(0.5) })
          .prefault({}),
        deniedWeight: unit(0.5),
        breachWeight: unit(0.8),
      })
      .prefault({}),
    confidence: z
      .object({
        /** Windows of history at which an entity counts as fully known. */
        fullHistoryWindows: z.number().int().min(1).default(360),
        agreementWeight: unit(0.5),
        historyWeight: unit(0.25),
        qualityWeight: unit(0.25),
      })
      .prefault({}),
    /**
     * How much of the anomaly is measured against the entity's own baseline rather than the
     * population (1: only the excess over its usual level counts; 0: baselines unused).
     */
    entityBaselineWeight: unit(0.5),
    /** The scan test (Threshold Random Walk) over first contacts with monitored services (ADR 0015). */
    scan: z
      .object({
        enabled: z.boolean().default(true),
        /** P(first contact succeeds) for a benign source and for a scanner. */
        theta0: unit(0.8),
        theta1: unit(0.2),
        /** Tolerated false-positive and required detection probability per test run. */
        alpha: unit(0.01),
        beta: unit(0.99),
      })
      .prefault({})
      .refine(
        (s) =>
          0 < s.theta1 &&
          s.theta1 < s.theta0 &&
          s.theta0 < 1 &&
          0 < s.alpha &&
          s.alpha < s.beta &&
          s.beta < 1,
        {
          message: 'the scan test needs 0 < theta1 < theta0 < 1 and 0 < alpha < beta < 1',
        },
      ),
    /** How much traffic above the forecast interval raises the anomaly score. */
    forecastWeight: unit(0.5),
    /** Rows whose anomaly reaches this get an explanation. */
    explainMinAnomaly: unit(0.2),
    /** Entities whose identity (labels) and history the scorer keeps in memory. */
    entityCacheSize: z.number().int().min(100).default(200_000),
    publish: z
      .object({
        stream: z
          .string()
          .regex(/^[A-Za-z0-9_-]+$/)
          .default('VERDICTS'),
        subjectPrefix: z
          .string()
          .regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/)
          .default('foresight.verdicts'),
        maxAgeSeconds: z
          .number()
          .min(1)
          .default(24 * 3600),
      })
      .prefault({}),
  })
  .prefault({});

export type TrainingConfig = z.infer<typeof trainingSchema>;
export type ScoringConfig = z.infer<typeof scoringSchema>;
