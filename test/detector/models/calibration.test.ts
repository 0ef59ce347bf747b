import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { calibrate, fitCalibration } from '../../../src/detector/models/calibration.js';

const uniform = Array.from({ length: 1000 }, (_, i) => i / 999); // 0 … 1, evenly

describe('calibration', () => {
  const p = fitCalibration(uniform);
  const table: { name: string; raw: number; expect: (c: number) => boolean }[] = [
    { name: 'below the minimum → 0', raw: -5, expect: (c) => c === 0 },
    { name: 'the median → 0.5', raw: 0.5, expect: (c) => Math.abs(c - 0.5) < 0.002 },
    { name: 'the 90th percentile → 0.9', raw: 0.9, expect: (c) => Math.abs(c - 0.9) < 0.002 },
    { name: 'the maximum → n/(n+1)', raw: 1, expect: (c) => Math.abs(c - 1000 / 1001) < 1e-9 },
    {
      name: 'beyond the maximum → between n/(n+1) and 1',
      raw: 1.01,
      expect: (c) => c > 1000 / 1001 && c < 1,
    },
    { name: 'far beyond the maximum → ~1', raw: 100, expect: (c) => c > 0.999999 && c <= 1 },
  ];
  for (const t of table) {
    it(t.name, () => {
      const c = calibrate(p, t.raw);
      assert.ok(t.expect(c), `calibrate(${t.raw}) = ${c}`);
    });
  }

  it('stores about a hundred quantiles plus finer tail points', () => {
    assert.ok(p.probs.length >= 101 && p.probs.length <= 106, `${p.probs.length}`);
    assert.deepEqual(p.probs.slice(-3), [0.995, 0.999, 1000 / 1001]);
    assert.equal(p.rows, 1000);
  });

  it('gives a run of tied scores the middle of the run', () => {
    const tied = [...Array<number>(80).fill(0), ...Array.from({ length: 20 }, (_, i) => 1 + i)];
    const c = calibrate(fitCalibration(tied), 0);
    assert.ok(c > 0.3 && c < 0.5, `${c}`);
  });

  it('handles a constant score', () => {
    const q = fitCalibration([2, 2, 2, 2]);
    assert.ok(calibrate(q, 2) > 0 && calibrate(q, 2) < 1);
    assert.equal(calibrate(q, 1), 0);
    assert.ok(calibrate(q, 3) > calibrate(q, 2));
  });

  it('refuses fewer than two finite scores', () => {
    assert.throws(() => fitCalibration([1, Number.NaN]), { code: 'calibration-too-few-rows' } as object);
  });

  it('is monotone and within [0, 1] for any training scores', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 300 }),
        fc.array(fc.double({ min: -2e6, max: 2e6, noNaN: true }), { minLength: 2, maxLength: 50 }),
        (train, queries) => {
          const q = fitCalibration(train);
          const sorted = [...queries].sort((a, b) => a - b);
          let prev = -Infinity;
          for (const s of sorted) {
            const c = calibrate(q, s);
            if (!(c >= 0 && c <= 1) || c < prev) return false;
            prev = c;
          }
          return true;
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
