/**
 * Ranking and threshold metrics over (score, label) pairs, shared by training validation and the
 * evaluation command. Ties are handled exactly: ROC-AUC is the Mann–Whitney statistic with
 * mid-ranks (a tie between a positive and a negative counts one half), and average precision
 * takes all rows sharing a score as one step of the precision–recall curve.
 */

export interface Scored {
  score: number;
  positive: boolean;
}

/** Area under the ROC curve; undefined when one class is empty. */
export function rocAuc(items: readonly Scored[]): number | undefined {
  const pos = items.filter((i) => i.positive).length;
  const neg = items.length - pos;
  if (pos === 0 || neg === 0) return undefined;
  const sorted = [...items].sort((a, b) => a.score - b.score);
  let rankSum = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) j++;
    const midRank = (i + 1 + j) / 2; // ranks i+1 … j share their mean
    for (let k = i; k < j; k++) if (sorted[k]!.positive) rankSum += midRank;
    i = j;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * Average precision (area under the precision–recall curve, step-wise): Σ (Rₖ − Rₖ₋₁)·Pₖ over
 * descending score levels. Undefined without positives.
 */
export function averagePrecision(items: readonly Scored[]): number | undefined {
  const pos = items.filter((i) => i.positive).length;
  if (pos === 0) return undefined;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < sorted.length;) {
    let j = i;
    let levelTp = 0;
    while (j < sorted.length && sorted[j]!.score === sorted[i]!.score) {
      if (sorted[j]!.positive) levelTp++;
      j++;
    }
    tp += levelTp;
    seen += j - i;
    ap += (levelTp / pos) * (tp / seen);
    i = j;
  }
  return ap;
}

export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision?: number;
  recall?: number;
  f1?: number;
}

/** Counts and P/R/F1 with `score ≥ threshold` as the positive call (undefined where 0/0). */
export function confusionAt(items: readonly Scored[], threshold: number): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const i of items) {
    const called = i.score >= threshold;
    if (called && i.positive) tp++;
    else if (called) fp++;
    else if (i.positive) fn++;
    else tn++;
  }
  const c: Confusion = { tp, fp, tn, fn };
  if (tp + fp > 0) c.precision = tp / (tp + fp);
  if (tp + fn > 0) c.recall = tp / (tp + fn);
  if (c.precision !== undefined && c.recall !== undefined) {
    c.f1 = c.precision + c.recall > 0 ? (2 * c.precision * c.recall) / (c.precision + c.recall) : 0;
  }
  return c;
}
