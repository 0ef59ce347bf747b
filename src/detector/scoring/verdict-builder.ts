/**
 * Assembles the verdict record (verdict.ts) for one scored window: a deterministic id (entity,
 * window end and model versions, so re-scoring a window with the same models gives the same
 * verdict and JetStream de-duplicates it), the entity and its top peers, the scores, the
 * detectors, the explanation and any prediction.
 */
import { createHash } from 'node:crypto';
import type { FeatureRow } from '../store/types.js';
import {
  VERDICT_SUBJECT_PREFIX,
  VERDICT_VERSION,
  verdictSubject,
  type DetectorScore,
  type FeatureContribution,
  type Prediction,
  type Verdict,
} from './verdict.js';

export function verdictId(
  kind: string,
  entity: string,
  windowEnd: number,
  models: Readonly<Record<string, number>>,
): string {
  const versions = Object.keys(models)
    .sort()
    .map((k) => `${k}=${models[k]}`)
    .join(',');
  return createHash('sha256')
    .update(`${kind}\u0000${entity}\u0000${windowEnd}\u0000${versions}`)
    .digest('hex')
    .slice(0, 32);
}

export interface VerdictParts {
  row: FeatureRow;
  scoredAt: number;
  scores: Verdict['scores'];
  detectors: DetectorScore[];
  summary: string;
  features: FeatureContribution[];
  models: Record<string, number>;
  prediction?: Prediction;
}

export function buildVerdict(p: VerdictParts): Verdict {
  const { row } = p;
  const verdict: Verdict = {
    version: VERDICT_VERSION,
    id: verdictId(row.kind, row.entity, row.windowEnd, p.models),
    entity: {
      kind: row.kind,
      key: row.entity,
      ...(row.namespace === undefined ? {} : { namespace: row.namespace }),
      ...(row.workload === undefined ? {} : { workload: row.workload }),
      addresses: [...row.addresses],
    },
    targets: row.topPeers.map((t) => ({ address: t.peer, flows: t.flows, bytes: t.bytes })),
    window: { start: row.windowStart, end: row.windowEnd },
    scoredAt: p.scoredAt,
    scores: p.scores,
    detectors: p.detectors,
    explanation: { summary: p.summary, features: p.features },
    models: p.models,
  };
  if (p.prediction) verdict.prediction = p.prediction;
  return verdict;
}

/** The subject a verdict is published on, under a configurable prefix (tests use their own). */
export function subjectFor(v: Pick<Verdict, 'entity'>, prefix: string): string {
  return prefix + verdictSubject(v).slice(VERDICT_SUBJECT_PREFIX.length);
}
