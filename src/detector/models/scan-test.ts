/**
 * The scan test: Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan, "Fast Portscan
 * Detection Using Sequential Hypothesis Testing", IEEE S&P 2004) over a source's first contacts
 * with services of the monitored network (docs/adr/0015-scan-detection.md). Pure; no training.
 *
 * Each first contact is a Bernoulli trial: success (established) or failure (SYN-only, rejected,
 * denied). A benign source (H0) succeeds with probability θ0, a scanner (H1) with θ1 < θ0, so
 *
 *   Λ = Π  θ1/θ0            per success   (0.25 with the defaults: towards benign)
 *        · (1 − θ1)/(1 − θ0) per failure   (4: towards scanner)
 *
 * and Wald's thresholds decide: Λ ≥ η1 = β/α → scanner; Λ ≤ η0 = (1 − β)/(1 − α) → benign, after
 * which the test restarts (Λ = 1), so a source that turns into a scanner later is still caught.
 * The defaults (θ0 0.8, θ1 0.2, α 0.01, β 0.99) are the paper's: 4 failures in a row decide
 * "scanner", 4 successes "benign".
 *
 * Calibration: under H0, Λ is a martingale with mean 1, so by Ville's inequality a benign source's
 * test run reaches Λ ≥ x with probability at most 1/x. The detector's calibrated score is therefore
 * 1 − 1/Λ, a conservative "rarer than this share of benign sources" on the same scale as the
 * models' percentiles; its ensemble rarity is log10(Λ)/4, so the scanner decision (Λ ≥ 99) is
 * 1-in-100 rarity, the agreement level. Λ is capped at 10^4, where rarity saturates, so a long
 * scan does not bank unbounded evidence and a source that turned benign is cleared after about
 * ten successful first contacts.
 *
 * Trials arrive in per-bucket counts (10 s by default) whose order is not kept; a step applies
 * them together and then checks the thresholds, which is deterministic for the same rows.
 */

export interface ScanTestParams {
  /** P(first contact succeeds | benign source). */
  theta0: number;
  /** P(first contact succeeds | scanner); below theta0. */
  theta1: number;
  /** Tolerated false-positive probability per test run. */
  alpha: number;
  /** Required detection probability. */
  beta: number;
}

export const DEFAULT_SCAN_TEST: Readonly<ScanTestParams> = Object.freeze({
  theta0: 0.8,
  theta1: 0.2,
  alpha: 0.01,
  beta: 0.99,
});

export const SCAN_DETECTOR = 'rule:scan-trw';

/** Λ never exceeds 10^4 (rarity 1 at the ensemble's default cap of 4 decades). */
const MAX_LOG_LAMBDA = 4 * Math.LN10;

export interface ScanState {
  /** ln Λ of the current test run. */
  logLambda: number;
  /** Successful and failed first contacts since the run began. */
  ok: number;
  failed: number;
  /** Start of the current run (the first trial after the last benign decision). */
  since?: number;
  /** When this run crossed η1; kept until a benign decision restarts the test. */
  scannerSince?: number;
}

export interface ScanStep {
  ok: number;
  failed: number;
}

export function initialScanState(): ScanState {
  return { logLambda: 0, ok: 0, failed: 0 };
}

/** ln of the per-trial likelihood ratios and of Wald's thresholds. */
export function scanBounds(p: ScanTestParams = DEFAULT_SCAN_TEST) {
  return {
    okStep: Math.log(p.theta1 / p.theta0),
    failStep: Math.log((1 - p.theta1) / (1 - p.theta0)),
    upper: Math.log(p.beta / p.alpha),
    lower: Math.log((1 - p.beta) / (1 - p.alpha)),
  };
}

/** The state after one bucket's first contacts at time `at` (a new object; `state` is untouched). */
export function stepScanTest(
  state: ScanState,
  step: ScanStep,
  at: number,
  p: ScanTestParams = DEFAULT_SCAN_TEST,
): ScanState {
  if (step.ok + step.failed === 0) return state;
  const b = scanBounds(p);
  const logLambda = Math.min(MAX_LOG_LAMBDA, state.logLambda + step.ok * b.okStep + step.failed * b.failStep);
  if (logLambda <= b.lower) return initialScanState(); // benign: the test restarts
  const next: ScanState = {
    logLambda,
    ok: state.ok + step.ok,
    failed: state.failed + step.failed,
    since: state.since ?? at,
  };
  const scannerSince = state.scannerSince ?? (logLambda >= b.upper ? at : undefined);
  if (scannerSince !== undefined) next.scannerSince = scannerSince;
  return next;
}

/** Whether the test has seen trials since it last restarted (otherwise it abstains). */
export function scanHasEvidence(state: ScanState): boolean {
  return state.ok + state.failed > 0;
}

/** Calibrated score 1 − 1/Λ (0 while Λ ≤ 1), see the header. */
export function scanScore(state: ScanState): number {
  return state.logLambda > 0 ? 1 - Math.exp(-state.logLambda) : 0;
}

/** What a verdict says about the test, e.g. "23 failed and 0 successful first contacts: scanner …". */
export function scanSummary(state: ScanState, p: ScanTestParams = DEFAULT_SCAN_TEST): string {
  const lambda = Math.exp(state.logLambda);
  const contacts = `${state.failed} failed and ${state.ok} successful first contacts with monitored services`;
  const threshold = Math.exp(scanBounds(p).upper);
  if (state.scannerSince !== undefined)
    return `${contacts}: scanner by sequential test since ${new Date(state.scannerSince).toISOString()} (likelihood ratio ${fmt(lambda)}, decides at ${fmt(threshold)})`;
  return `${contacts}: leaning scanner by sequential test (likelihood ratio ${fmt(lambda)}, decides at ${fmt(threshold)})`;
}

const fmt = (x: number) => (x >= 1000 ? x.toExponential(1) : x >= 10 ? x.toFixed(0) : x.toFixed(2));
