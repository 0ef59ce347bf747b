/** Evaluation metrics against hand-computed values, as named table tests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  averagePrecision,
  confusionAt,
  rocAuc,
  type Scored,
} from '../../src/detector/training/ranking-metrics.js';
import {
  alertTiming,
  entityMetrics,
  entityScores,
  windowMetrics,
  type WindowScore,
} from '../../src/evaluation/metrics.js';
import { batchesByWindowEnd } from '../../src/evaluation/offline-evaluation.js';
import { attackOutcome } from '../../src/evaluation/simulate-evaluation.js';
import type { EvaluationResult } from '../../src/evaluation/offline-evaluation.js';
import type { AttackLabel } from '../../src/sim/index.js';
import type { HostClass } from '../../src/evaluation/ground-truth.js';

const s = (score: number, positive: boolean): Scored => ({ score, positive });
const near = (a: number | undefined, b: number | undefined) =>
  assert.ok(a === b || (a !== undefined && b !== undefined && Math.abs(a - b) < 1e-9), `${a} ≉ ${b}`);

const aucCases: [string, Scored[], number | undefined][] = [
  ['perfect ranking', [s(0.9, true), s(0.8, true), s(0.2, false), s(0.1, false)], 1],
  ['inverted ranking', [s(0.1, true), s(0.9, false)], 0],
  // pairs: .9>.7, .9>.8, .8>.7, .8=.8 (half) → 3.5 / 4
  [
    'a tie between classes counts one half',
    [s(0.9, true), s(0.8, true), s(0.7, false), s(0.8, false)],
    0.875,
  ],
  ['all tied', [s(0.5, true), s(0.5, false), s(0.5, false)], 0.5],
  ['one class only', [s(0.5, true), s(0.7, true)], undefined],
];
for (const [name, items, expected] of aucCases) test(`ROC-AUC: ${name}`, () => near(rocAuc(items), expected));

const apCases: [string, Scored[], number | undefined][] = [
  // P@1 = 1 (recall .5), P@3 = 2/3 (recall 1): .5·1 + .5·2/3
  ['steps down the ranking', [s(0.9, true), s(0.8, false), s(0.7, true), s(0.1, false)], 0.5 + 1 / 3],
  ['a tied level is one step', [s(0.5, true), s(0.5, false)], 0.5],
  ['perfect', [s(0.9, true), s(0.1, false)], 1],
  ['no positives', [s(0.9, false)], undefined],
];
for (const [name, items, expected] of apCases)
  test(`PR-AUC: ${name}`, () => near(averagePrecision(items), expected));

test('precision, recall and F1 at a threshold', () => {
  const c = confusionAt([s(0.9, true), s(0.8, false), s(0.7, true), s(0.1, false)], 0.75);
  assert.deepEqual([c.tp, c.fp, c.fn, c.tn], [1, 1, 1, 1]);
  near(c.precision, 0.5);
  near(c.recall, 0.5);
  near(c.f1, 0.5);
  const none = confusionAt([s(0.1, true)], 0.5);
  assert.equal(none.precision, undefined);
  near(none.recall, 0);
});

const T = Date.UTC(2011, 7, 16, 10, 0, 0);
const w = (endS: number, threat: number, malicious = 0, entity = 'ip:a'): WindowScore => ({
  kind: 'source',
  entity,
  windowStart: T + endS * 1000 - 60_000,
  windowEnd: T + endS * 1000,
  threat,
  maliciousFlows: malicious,
});
const windows = [w(10, 0.3, 1), w(20, 0.6, 1), w(30, 0.9, 1)];
const malicious = [5, 12, 25, 40].map((x) => T + x * 1000);

const timingCases: [
  string,
  number,
  { alertAtS?: number; timeToAlertS?: number; share: number; before: number },
][] = [
  // Alert on the window ending at 20 s, emitted 10 s later: 30 s. First malicious flow at 5 s.
  [
    'from the first malicious flow to window end + lateness',
    0,
    { alertAtS: 30, timeToAlertS: 25, share: 0.25, before: 0 },
  ],
  // Scoring starts at 10 s: the flow at 5 s is in the training span and counts as not prevented.
  ['flows before scoring are not prevented', 10, { alertAtS: 30, timeToAlertS: 18, share: 0.25, before: 1 }],
];
for (const [name, startS, e] of timingCases) {
  test(`time to alert: ${name}`, () => {
    const t = alertTiming('source', 'ip:a', windows, malicious, {
      threshold: 0.5,
      latenessMs: 10_000,
      scoringStart: T + startS * 1000,
    });
    assert.equal(t.alertAt, T + e.alertAtS! * 1000);
    assert.equal(t.timeToAlertMs, e.timeToAlertS! * 1000);
    near(t.shareAfterAlert, e.share);
    assert.equal(t.beforeScoring, e.before);
  });
}

test('time to alert: never alerted', () => {
  const t = alertTiming('source', 'ip:a', [w(10, 0.1, 1)], malicious, {
    threshold: 0.5,
    latenessMs: 0,
    scoringStart: T,
  });
  assert.equal(t.alertAt, undefined);
  assert.equal(t.timeToAlertMs, undefined);
  assert.equal(t.shareAfterAlert, 0);
});

test('window and entity metrics keep Background out of the verified-normal variant', () => {
  const all = [
    w(10, 0.9, 2, 'ip:bot'),
    w(10, 0.8, 0, 'ip:bg'),
    w(10, 0.2, 0, 'ip:normal'),
    w(20, 0.1, 0, 'ip:normal'),
  ];
  const cls = (e: string): HostClass =>
    e === 'ip:bot' ? 'malicious' : e === 'ip:bg' ? 'background' : 'normal';
  const wm = windowMetrics(all, cls, 0.5);
  assert.deepEqual([wm.all.positives, wm.all.negatives, wm.verified.negatives], [1, 3, 2]);
  near(wm.all.rocAuc, 1);
  near(wm.all.atThreshold.precision, 0.5);
  near(wm.verified.atThreshold.precision, 1);
  const entities = entityScores(all, cls);
  assert.deepEqual(
    entities.map((e) => [e.entity, e.maxThreat, e.windows]),
    [
      ['ip:bot', 0.9, 1],
      ['ip:bg', 0.8, 1],
      ['ip:normal', 0.2, 2],
    ],
  );
  const em = entityMetrics(entities, 0.5);
  assert.deepEqual([em.all.negatives, em.verified.negatives], [2, 1]);
});

test('batches group windows that end together, merged up to a minimum size', () => {
  const rows = [1, 1, 2, 3, 3, 3].map((end) => ({ windowEnd: end }) as never);
  assert.deepEqual(
    [...batchesByWindowEnd(rows, 2)].map((b) => b.length),
    [2, 4],
  );
  assert.deepEqual(
    [...batchesByWindowEnd(rows, 1)].map((b) => b.length),
    [2, 1, 3],
  );
});

test('an attack is detected by its first alerting window that holds its flows', () => {
  const label = { id: 'x', type: 'portscan', start: T, end: T + 300_000, flows: 10 } as AttackLabel;
  const r = {
    windows: [
      w(30, 0.9, 0, 'ip:quiet'),
      w(40, 0.4, 3, 'ip:scanner'),
      w(50, 0.7, 5, 'ip:scanner'),
      w(900, 0.95, 1, 'ip:later'),
    ],
    alertThreshold: 0.5,
    latenessMs: 10_000,
  } as unknown as EvaluationResult;
  const o = attackOutcome(label, r, 60_000);
  assert.equal(o.detected, true);
  assert.equal(o.timeToAlertMs, 60_000);
  assert.equal(o.alertedEntity, 'source:ip:scanner');
  assert.equal(o.windows, 2);
  assert.equal(o.maxThreat, 0.7);
});
