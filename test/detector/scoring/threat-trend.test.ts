import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gaussian, seededRandom } from '../../../src/detector/models/forecast/stats.js';
import {
  fitTrend,
  predictThreatCrossing,
  type ScorePoint,
} from '../../../src/detector/scoring/threat-trend.js';

const T0 = Date.UTC(2024, 4, 1, 12);
const STEP = 10_000; // one scored window every 10 s

function scores(n: number, f: (i: number) => number): ScorePoint[] {
  return Array.from({ length: n }, (_, i) => ({ t: T0 + i * STEP, score: f(i) }));
}

describe('predictThreatCrossing', () => {
  it('fires for a rising score and puts the crossing where the trend reaches the threshold', () => {
    const noise = gaussian(seededRandom(1));
    // 0.30 rising 0.01 per window (0.06/min) with noise: 0.70 is reached 40 windows after the start.
    const history = scores(20, (i) => 0.3 + 0.01 * i + 0.005 * noise());
    const p = predictThreatCrossing(history, 0.7, 600);
    assert.equal(p?.kind, 'attack');
    const expected = T0 + 40 * STEP;
    assert.ok(Math.abs(p.at - expected) < 3 * STEP, `at ${(p.at - T0) / STEP} windows`);
    assert.equal(p.horizonSeconds, 600);
    assert.match(p.detail, /rising/);
  });

  it('rarely fires for flat noisy scores: at most 1% of 1000 seeded series (measured 0.5%)', () => {
    let fired = 0;
    for (let seed = 1; seed <= 1000; seed++) {
      const noise = gaussian(seededRandom(seed));
      const history = scores(20, () => Math.min(1, Math.max(0, 0.35 + 0.08 * noise())));
      if (predictThreatCrossing(history, 0.7, 600)) fired++;
    }
    assert.ok(fired <= 10, `${fired} of 1000`);
  });

  it('does not fire for a flat noisy series (seed 1)', () => {
    const noise = gaussian(seededRandom(1));
    assert.equal(
      predictThreatCrossing(
        scores(20, () => 0.35 + 0.08 * noise()),
        0.7,
        600,
      ),
      undefined,
    );
  });

  const quiet: { name: string; history: ScorePoint[]; horizon: number }[] = [
    {
      name: 'rising, but the crossing lies beyond the horizon',
      history: scores(12, (i) => 0.1 + 0.001 * i),
      horizon: 600,
    },
    { name: 'falling scores', history: scores(20, (i) => 0.6 - 0.01 * i), horizon: 600 },
    { name: 'too few points', history: scores(6, (i) => 0.3 + 0.1 * i), horizon: 600 },
    {
      name: 'already over the threshold: the current verdict acts, no prediction',
      history: scores(20, (i) => 0.4 + 0.02 * i),
      horizon: 600,
    },
  ];
  for (const c of quiet) {
    it(`stays quiet: ${c.name}`, () => {
      assert.equal(predictThreatCrossing(c.history, 0.7, c.horizon), undefined);
    });
  }

  it('one spike does not make a trend', () => {
    const history = scores(20, (i) => (i === 18 ? 0.65 : 0.3));
    assert.equal(predictThreatCrossing(history, 0.7, 600), undefined);
  });

  it('uses only the most recent points', () => {
    // Long flat history, then a ramp in the last 20 windows.
    const history = scores(100, (i) => (i < 80 ? 0.2 : 0.2 + 0.02 * (i - 79)));
    assert.equal(predictThreatCrossing(history, 0.7, 600)?.kind, 'attack');
    assert.equal(predictThreatCrossing(history, 0.7, 600, { points: 100 }), undefined);
  });
});

describe('fitTrend', () => {
  it('Theil–Sen ignores an outlier that would tilt least squares', () => {
    const pts = scores(11, (i) => (i === 10 ? 5 : 0.1 * i));
    const fit = fitTrend(pts, T0 + 10 * STEP);
    assert.ok(Math.abs(fit.slope * STEP - 0.1) < 1e-9, `slope ${fit.slope * STEP}`);
    assert.ok(fit.z > 3);
  });
});
