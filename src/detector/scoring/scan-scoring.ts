/**
 * The scan test inside the scoring service (docs/adr/0015-scan-detection.md). Each source's test
 * state lives in its entity memory (bounded with it: the least recently scored entities are
 * forgotten first) and is stepped with every scored row's first contacts, in window-end order.
 * A source seen for the first time — after a restart, or after eviction — gets its state rebuilt
 * from its stored rows' first contacts within the lookback, so a restart loses only test runs
 * that began before the lookback (and windows written but never scored before the crash).
 */
import type { ScoringConfig } from '../../config/scoring-schema.js';
import {
  SCAN_DETECTOR,
  initialScanState,
  scanHasEvidence,
  scanScore,
  scanSummary,
  stepScanTest,
  type ScanTestParams,
} from '../models/scan-test.js';
import type { Db } from '../store/db.js';
import { readFirstContacts } from '../store/training-queries.js';
import type { FeatureRow } from '../store/types.js';
import type { EntityMemory } from './entity-state.js';
import type { DetectorScore } from './verdict.js';

/** What the rule adds to a row's verdict. */
export interface ScanVerdict {
  detector: DetectorScore;
  summary: string;
  scanner: boolean;
}

export class ScanScoring {
  private readonly params: ScanTestParams;

  constructor(private readonly cfg: ScoringConfig['scan']) {
    this.params = { theta0: cfg.theta0, theta1: cfg.theta1, alpha: cfg.alpha, beta: cfg.beta };
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  /**
   * Rebuilds the tests of sources seen for the first time from their stored rows that end before
   * `before` (earlier batches: the batch's own rows are stored already and are stepped when scored).
   */
  async seed(
    db: Db,
    fresh: readonly { entity: string; memory: EntityMemory }[],
    range: { since: number; before: number },
  ): Promise<void> {
    if (!this.cfg.enabled || fresh.length === 0) return;
    const history = await readFirstContacts(
      db,
      fresh.map((f) => f.entity),
      range,
    );
    for (const f of fresh) {
      let state = initialScanState();
      for (const c of history.get(f.entity) ?? []) {
        state = stepScanTest(state, { ok: c.firstOk, failed: c.firstFailed }, c.windowEnd, this.params);
      }
      if (scanHasEvidence(state)) f.memory.scan = state;
    }
  }

  /** Steps the source's test with the row; the rule's part of the verdict while the test has evidence. */
  step(memory: EntityMemory, row: FeatureRow): ScanVerdict | undefined {
    if (!this.cfg.enabled || row.kind !== 'source') return undefined;
    const c = row.contacts;
    const state = stepScanTest(
      memory.scan ?? initialScanState(),
      { ok: c?.firstOk ?? 0, failed: c?.firstFailed ?? 0 },
      row.windowEnd,
      this.params,
    );
    if (!scanHasEvidence(state)) {
      delete memory.scan;
      return undefined;
    }
    memory.scan = state;
    return {
      detector: { detector: SCAN_DETECTOR, score: scanScore(state), raw: state.logLambda / Math.LN10 },
      summary: scanSummary(state, this.params),
      scanner: state.scannerSince !== undefined,
    };
  }
}
