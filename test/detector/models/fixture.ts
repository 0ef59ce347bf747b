/**
 * Loads the real window feature rows (CTU-13 scenario 6 through WindowAggregator, see
 * test/fixtures/SOURCES.md) that every model test trains and scores on.
 */
import { readFileSync } from 'node:fs';
import { matrixFromRows } from '../../../src/detector/models/matrix.js';
import type { Matrix } from '../../../src/detector/models/types.js';

export type FixtureLabel = 'botnet' | 'normal' | 'background';

export interface FixtureRow {
  entity: string;
  kind: 'source' | 'destination';
  windowEnd: number;
  label: FixtureLabel;
  maliciousFlows: number;
  vector: number[];
}

export interface Fixture {
  rows: FixtureRow[];
  matrix: Matrix;
}

type RawRow = [string, 'source' | 'destination', number, FixtureLabel, number, number[]];

let cached: Fixture | undefined;

export function ctu13Windows(): Fixture {
  if (cached) return cached;
  const path = new URL('../../fixtures/features/ctu13-windows.json', import.meta.url);
  const raw = JSON.parse(readFileSync(path, 'utf8')) as { rows: RawRow[] };
  const rows = raw.rows.map(([entity, kind, windowEnd, label, maliciousFlows, vector]) => ({
    entity,
    kind,
    windowEnd,
    label,
    maliciousFlows,
    vector,
  }));
  cached = { rows, matrix: matrixFromRows(rows.map((r) => r.vector)) };
  return cached;
}

/** The matrix of the rows that pass `keep`, with the kept rows. */
export function subset(f: Fixture, keep: (r: FixtureRow) => boolean): { rows: FixtureRow[]; matrix: Matrix } {
  const rows = f.rows.filter(keep);
  return { rows, matrix: matrixFromRows(rows.map((r) => r.vector)) };
}

/** Probability that a random positive scores above a random negative (ties count half). */
export function auc(positive: ArrayLike<number>, negative: ArrayLike<number>): number {
  let wins = 0;
  for (let i = 0; i < positive.length; i++) {
    for (let j = 0; j < negative.length; j++) {
      const p = positive[i]!;
      const n = negative[j]!;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    }
  }
  return wins / (positive.length * negative.length);
}

/** Windows of the hosts that are not the botnet: what the models train on in these tests. */
export function trainingRows(): { rows: FixtureRow[]; matrix: Matrix } {
  return subset(ctu13Windows(), (r) => r.label !== 'botnet');
}

/** Scores of the rows passing `keep`. */
export function scoresOf(f: Fixture, scores: ArrayLike<number>, keep: (r: FixtureRow) => boolean): number[] {
  const out: number[] = [];
  f.rows.forEach((r, i) => {
    if (keep(r)) out.push(scores[i]!);
  });
  return out;
}

/** The botnet host's SPAM fan-out windows: at least 10 malicious flows in the window. */
export const isSpamWindow = (r: FixtureRow) => r.label === 'botnet' && r.maliciousFlows >= 10;
export const isNormalHost = (r: FixtureRow) => r.label === 'normal';
