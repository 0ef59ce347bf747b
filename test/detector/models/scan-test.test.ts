/**
 * The scan test (Threshold Random Walk) against hand-computed likelihood ratios, as named table
 * tests. With the defaults (θ0 0.8, θ1 0.2, α 0.01, β 0.99) a failure multiplies Λ by
 * (1 − 0.2)/(1 − 0.8) = 4, a success by 0.2/0.8 = 1/4; η1 = 0.99/0.01 = 99, η0 = 0.01/0.99 ≈ 0.0101.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { agreementWithRule } from '../../../src/detector/models/ensemble.js';
import {
  initialScanState,
  scanBounds,
  scanHasEvidence,
  scanScore,
  scanSummary,
  stepScanTest,
  type ScanState,
  type ScanTestParams,
} from '../../../src/detector/models/scan-test.js';

const T = Date.UTC(2022, 5, 13, 0, 0, 0);
const F = { ok: 0, failed: 1 };
const S = { ok: 1, failed: 0 };

/** Runs the steps 10 s apart from the initial state. */
function run(steps: { ok: number; failed: number }[], params?: ScanTestParams): ScanState {
  let state = initialScanState();
  steps.forEach((s, i) => {
    state = stepScanTest(state, s, T + i * 10_000, params);
  });
  return state;
}

const lambda = (s: ScanState) => Math.exp(s.logLambda);
const near = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-9 * Math.max(1, b), `${what}: ${a} ≉ ${b}`);

describe('scan test: likelihood ratio after a sequence', () => {
  const cases: [
    string,
    { ok: number; failed: number }[],
    { lambda: number; ok: number; failed: number; scannerAt?: number },
  ][] = [
    ['no trials: Λ stays 1', [], { lambda: 1, ok: 0, failed: 0 }],
    ['one failure: Λ = 4', [F], { lambda: 4, ok: 0, failed: 1 }],
    ['three failures: 4³ = 64 < 99, undecided', [F, F, F], { lambda: 64, ok: 0, failed: 3 }],
    [
      'four failures: 4⁴ = 256 ≥ 99, scanner at the fourth',
      [F, F, F, F],
      { lambda: 256, ok: 0, failed: 4, scannerAt: 3 },
    ],
    ['failure, failure, success: 4·4/4 = 4', [F, F, S], { lambda: 4, ok: 1, failed: 2 }],
    ['success, failure: 1/4·4 = 1, the run goes on', [S, F], { lambda: 1, ok: 1, failed: 1 }],
    ['three successes: 1/64 > η0, undecided', [S, S, S], { lambda: 1 / 64, ok: 3, failed: 0 }],
    // 1/256 ≤ 0.0101: benign, the test restarts from Λ = 1 with no trials counted.
    ['four successes: benign, the test restarts', [S, S, S, S], { lambda: 1, ok: 0, failed: 0 }],
    [
      'after a benign decision a failure starts a new run: Λ = 4',
      [S, S, S, S, F],
      { lambda: 4, ok: 0, failed: 1 },
    ],
    // 2 failures and 1 success in one bucket: 4²/4 = 4, applied together.
    [
      'a bucket is one step: 2 failures + 1 success = 4',
      [{ ok: 1, failed: 2 }],
      { lambda: 4, ok: 1, failed: 2 },
    ],
    [
      'Λ is capped at 10⁴ (7 failures would be 16384)',
      [F, F, F, F, F, F, F],
      { lambda: 1e4, ok: 0, failed: 7, scannerAt: 3 },
    ],
    // 4⁴ = 256 (scanner), then 256/4 = 64: below η1 but still decided in this run.
    [
      'a scanner that then succeeds stays flagged while the run lasts',
      [F, F, F, F, S],
      { lambda: 64, ok: 1, failed: 4, scannerAt: 3 },
    ],
    // From the cap 10⁴, ten successes: 10⁴/4¹⁰ ≈ 0.0095 ≤ η0 → benign.
    [
      'ten successes clear a capped scanner',
      [...Array<typeof F>(8).fill(F), ...Array<typeof S>(10).fill(S)],
      { lambda: 1, ok: 0, failed: 0 },
    ],
  ];
  for (const [name, steps, expected] of cases) {
    test(name, () => {
      const s = run(steps);
      near(lambda(s), expected.lambda, 'Λ');
      assert.equal(s.ok, expected.ok);
      assert.equal(s.failed, expected.failed);
      assert.equal(
        s.scannerSince,
        expected.scannerAt === undefined ? undefined : T + expected.scannerAt * 10_000,
      );
    });
  }
});

test('scan test: other parameters (θ0 0.9, θ1 0.1, α 0.001, β 0.999) need 4 failures for η1 = 999', () => {
  const p = { theta0: 0.9, theta1: 0.1, alpha: 0.001, beta: 0.999 };
  const b = scanBounds(p);
  near(Math.exp(b.failStep), 9, 'failure ratio');
  near(Math.exp(b.okStep), 1 / 9, 'success ratio');
  near(Math.exp(b.upper), 999, 'η1');
  assert.equal(run([F, F, F], p).scannerSince, undefined); // 729
  assert.ok(run([F, F, F, F], p).scannerSince !== undefined); // 6561
});

describe('scan test: calibrated score 1 − 1/Λ and its rarity', () => {
  const cases: [string, { ok: number; failed: number }[], number][] = [
    ['no evidence', [], 0],
    ['Λ below 1 scores 0', [S, S], 0],
    ['Λ = 4 → 0.75', [F], 0.75],
    ['Λ = 256 → 1 − 1/256', [F, F, F, F], 1 - 1 / 256],
    ['Λ capped at 10⁴ → 0.9999', [F, F, F, F, F, F, F], 0.9999],
  ];
  for (const [name, steps, expected] of cases)
    test(name, () => near(scanScore(run(steps)), expected, 'score'));

  test('the rule votes in the agreement from 1-in-100 (Λ ≥ 100) as one more detector', () => {
    // Four models, two agreeing (agreement 0.5); the rule at Λ = 256 agrees: 3 of 5.
    near(agreementWithRule(0.5, 4, scanScore(run([F, F, F, F]))), 3 / 5, 'agreeing rule');
    // Λ = 64 is not 1-in-100: 2 of 5.
    near(agreementWithRule(0.5, 4, scanScore(run([F, F, F]))), 2 / 5, 'undecided rule');
    // Rule-only scoring (no models): the rule alone.
    near(agreementWithRule(0, 0, scanScore(run([F, F, F, F]))), 1, 'rule only');
  });
});

test('scan test: evidence and summary', () => {
  assert.equal(scanHasEvidence(initialScanState()), false);
  assert.equal(scanHasEvidence(run([S, F])), true);
  const scanner = run([F, F, F, F]);
  assert.match(
    scanSummary(scanner),
    /^4 failed and 0 successful first contacts with monitored services: scanner by sequential test since 2022-06-13T00:00:30\.000Z \(likelihood ratio 256, decides at 99\)$/,
  );
  assert.match(
    scanSummary(run([F])),
    /leaning scanner by sequential test \(likelihood ratio 4\.00, decides at 99\)/,
  );
});

test('scan test: a step without trials returns the same state', () => {
  const s = run([F, F]);
  assert.equal(stepScanTest(s, { ok: 0, failed: 0 }, T + 999_000), s);
});
