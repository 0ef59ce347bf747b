/**
 * The training set: feature history shaped by analyst feedback and split in time.
 *
 * - TruePositive feedback: the judged windows (the entity's whole history when the feedback
 *   names no span) leave the training set; they are the positives validation checks.
 * - FalsePositive feedback: the judged windows are normal by definition; they join the training
 *   part (even when older than the history read), repeated `falsePositiveWeight` times so the
 *   density models learn them, and they are the negatives validation checks.
 * - Holdout: the last `holdoutShare` of the span in time. Rows straddling the cut are dropped:
 *   sliding windows overlap, and a training row sharing flows with a holdout row would flatter it.
 */
import type { FeedbackRow } from '../store/feedback-queries.js';
import type { FeatureRow } from '../store/types.js';

export interface TrainingSetOptions {
  holdoutShare: number;
  falsePositiveWeight: number;
}

export interface TrainingSet {
  /** Rows the models are fitted on (false-positive windows included, repeated). */
  train: FeatureRow[];
  /** The newest rows, never trained on. */
  holdout: FeatureRow[];
  /** Windows analysts confirmed as attacks (excluded from training). */
  truePositive: FeatureRow[];
  /** Windows analysts called normal (each once). */
  falsePositive: FeatureRow[];
  /** Start of the holdout (epoch ms). */
  cut: number;
  span: { from: number; to: number };
  /** Rows dropped: confirmed attacks, and rows straddling the cut. */
  excluded: { truePositive: number; straddling: number };
  /** The feedback this set took into account. */
  feedbackIds: number[];
}

const overlaps = (r: FeatureRow, f: FeedbackRow) =>
  (f.windowStart === undefined || r.windowEnd > f.windowStart) &&
  (f.windowEnd === undefined || r.windowStart < f.windowEnd);

const rowKey = (r: FeatureRow) => `${r.kind}\u0000${r.entity}\u0000${r.windowStart}`;

function matches(r: FeatureRow, feedback: readonly FeedbackRow[]): boolean {
  return feedback.some((f) => f.kind === r.kind && f.entity === r.entity && overlaps(r, f));
}

/**
 * Builds the set from history rows (time-ordered or not), the effective feedback and the rows of
 * the judged spans read separately (they may lie outside the history).
 */
export function buildTrainingSet(
  history: readonly FeatureRow[],
  feedback: readonly FeedbackRow[],
  feedbackRows: readonly FeatureRow[],
  options: TrainingSetOptions,
): TrainingSet {
  const tp = feedback.filter((f) => f.verdict === 'TruePositive');
  const fp = feedback.filter((f) => f.verdict === 'FalsePositive');
  const usable: FeatureRow[] = [];
  for (const r of history) if (!matches(r, tp)) usable.push(r);

  const tpRows = new Map<string, FeatureRow>();
  const fpRows = new Map<string, FeatureRow>();
  for (const r of [...feedbackRows, ...history]) {
    if (matches(r, tp)) tpRows.set(rowKey(r), r);
    else if (matches(r, fp)) fpRows.set(rowKey(r), r);
  }
  const truePositive = [...tpRows.values()];
  usable.sort((a, b) => a.windowStart - b.windowStart || (a.entity < b.entity ? -1 : 1));
  const from = usable[0]?.windowStart ?? 0;
  const to = usable.reduce((m, r) => Math.max(m, r.windowEnd), from);
  // The cut is a quantile of window starts, so a busy end of the span does not shrink the holdout.
  const cutIndex = Math.min(usable.length - 1, Math.floor(usable.length * (1 - options.holdoutShare)));
  const cut = usable[Math.max(0, cutIndex)]?.windowStart ?? to;

  const train: FeatureRow[] = [];
  const holdout: FeatureRow[] = [];
  let straddling = 0;
  for (const r of usable) {
    if (fpRows.has(rowKey(r))) continue; // added below, weighted
    if (r.windowStart >= cut) holdout.push(r);
    else if (r.windowEnd <= cut) train.push(r);
    else straddling++;
  }
  const falsePositive = [...fpRows.values()];
  for (let k = 0; k < options.falsePositiveWeight; k++) train.push(...falsePositive);
  return {
    train,
    holdout,
    truePositive,
    falsePositive,
    cut,
    span: { from, to },
    excluded: { truePositive: history.length - usable.length, straddling },
    feedbackIds: feedback.map((f) => f.id),
  };
}
