/** The training set's pure rules, as named table tests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FeedbackRow } from '../../../src/detector/store/feedback-queries.js';
import { buildTrainingSet } from '../../../src/detector/training/training-set.js';
import { MINUTE, T0, rows } from './support.js';

const history = rows(2, T0, 10, () => 'A'); // ip:10.0.0.1 and ip:10.0.0.2, windows at minutes 0..9
const feedback = (over: Partial<FeedbackRow>): FeedbackRow => ({
  id: 1,
  incident: 'i',
  kind: 'source',
  entity: 'ip:10.0.0.1',
  verdict: 'TruePositive',
  createdAt: 0,
  ...over,
});

const cases: {
  name: string;
  feedback: FeedbackRow[];
  long?: boolean;
  expect: { train: number; holdout: number; tp: number; fp: number };
}[] = [
  {
    // The cut is the 80% quantile of window starts: minute 8.
    name: 'no feedback: a time-ordered split',
    feedback: [],
    expect: { train: 16, holdout: 4, tp: 0, fp: 0 },
  },
  {
    // Windows 90 s long: the ones starting at minute 7 end after the cut and are dropped.
    name: 'windows straddling the cut are in neither part',
    feedback: [],
    long: true,
    expect: { train: 14, holdout: 4, tp: 0, fp: 0 },
  },
  {
    name: 'a true positive without a span removes the entity everywhere',
    feedback: [feedback({})],
    expect: { train: 8, holdout: 2, tp: 10, fp: 0 },
  },
  {
    // 17 rows left; the cut moves to the 13th start (minute 8).
    name: 'a true positive with a span removes only the overlapping windows',
    feedback: [feedback({ windowStart: T0, windowEnd: T0 + 3 * MINUTE })],
    expect: { train: 13, holdout: 4, tp: 3, fp: 0 },
  },
  {
    name: 'a false positive weights its windows into training, never into the holdout',
    feedback: [
      feedback({ verdict: 'FalsePositive', windowStart: T0 + 7 * MINUTE, windowEnd: T0 + 10 * MINUTE }),
    ],
    expect: { train: 15 + 3 * 3, holdout: 2, tp: 0, fp: 3 },
  },
];

for (const c of cases) {
  test(`training set: ${c.name}`, () => {
    const input = c.long ? history.map((r) => ({ ...r, windowEnd: r.windowStart + 90_000 })) : history;
    const set = buildTrainingSet(input, c.feedback, [], { holdoutShare: 0.2, falsePositiveWeight: 3 });
    assert.deepEqual(
      {
        train: set.train.length,
        holdout: set.holdout.length,
        tp: set.truePositive.length,
        fp: set.falsePositive.length,
      },
      c.expect,
    );
    assert.ok(set.holdout.every((r) => r.windowStart >= set.cut));
  });
}
