/**
 * Analyst feedback on an incident, as the controller (ThreatIncident verdicts) and the dashboard
 * record it. One call stores the verdict and applies its immediate effect in one transaction:
 * - FalsePositive raises the entity's threshold offset by a step (bounded): from the next
 *   scored window on, the entity must deviate further to reach the same threat;
 * - TruePositive clears a raised offset (an analyst confirmed the entity is worth alerting on).
 * The training effect comes at the next run (training-set.ts): FP windows join the normal
 * training set, TP windows are left out of it and check that candidates alert on them.
 * Recording the same verdict on the same incident again changes nothing.
 */
import { ForesightError } from '../../errors.js';
import type { Db } from '../store/db.js';
import {
  adjustThresholdOffset,
  insertFeedback,
  setThresholdOffset,
  type FeedbackInput,
} from '../store/feedback-queries.js';

export type { AnalystVerdict, FeedbackInput } from '../store/feedback-queries.js';

export interface FeedbackOptions {
  /** Offset added per false positive (config scoring.thresholds.falsePositiveStep). */
  falsePositiveStep?: number;
  /** Largest offset (config scoring.thresholds.maxOffset). */
  maxOffset?: number;
}

export interface FeedbackResult {
  /** False when this verdict on this incident was already recorded (nothing changed). */
  recorded: boolean;
  id?: number;
  /** The entity's threshold offset afterwards (undefined when unchanged). */
  offset?: number;
}

export const DEFAULT_FEEDBACK_OPTIONS: Required<FeedbackOptions> = { falsePositiveStep: 0.1, maxOffset: 0.3 };

export async function recordFeedback(
  db: Db,
  feedback: FeedbackInput,
  options: FeedbackOptions = {},
): Promise<FeedbackResult> {
  if (feedback.incident.trim() === '' || feedback.entity.trim() === '') {
    throw new ForesightError('feedback-invalid', 'feedback needs an incident and an entity');
  }
  if (feedback.verdict !== 'TruePositive' && feedback.verdict !== 'FalsePositive') {
    throw new ForesightError('feedback-invalid', `unknown verdict ${String(feedback.verdict)}`);
  }
  const { windowStart: from, windowEnd: to } = feedback;
  if (from !== undefined && to !== undefined && !(to > from)) {
    throw new ForesightError('feedback-invalid', 'feedback window must end after it starts');
  }
  const step = options.falsePositiveStep ?? DEFAULT_FEEDBACK_OPTIONS.falsePositiveStep;
  const max = options.maxOffset ?? DEFAULT_FEEDBACK_OPTIONS.maxOffset;
  return db.transaction(async (tx) => {
    const id = await insertFeedback(tx, feedback);
    if (id === undefined) return { recorded: false };
    if (feedback.verdict === 'FalsePositive') {
      const offset = await adjustThresholdOffset(
        tx,
        feedback.kind,
        feedback.entity,
        step,
        max,
        `false positive on ${feedback.incident}`,
      );
      return { recorded: true, id, offset };
    }
    await setThresholdOffset(tx, feedback.kind, feedback.entity, 0, `true positive on ${feedback.incident}`);
    return { recorded: true, id, offset: 0 };
  });
}
