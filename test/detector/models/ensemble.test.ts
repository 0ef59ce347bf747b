import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { combine, rarity } from '../../../src/detector/models/ensemble.js';
import type { AnomalyDetectorName } from '../../../src/detector/models/types.js';

const NAMES: AnomalyDetectorName[] = ['isolation-forest', 'ocsvm', 'kmeans', 'dbscan'];
const scores = (...c: number[]) => c.map((calibrated, i) => ({ detector: NAMES[i]!, calibrated }));
const near = (a: number, b: number) => Math.abs(a - b) < 1e-9;

describe('rarity', () => {
  const table: [number, number][] = [
    [0, 0],
    [0.5, Math.log10(2) / 4],
    [0.99, 0.5],
    [0.999, 0.75],
    [0.9999, 1],
    [0.999999, 1],
    [1, 1],
  ];
  for (const [c, r] of table) it(`percentile ${c} → ${r.toFixed(3)}`, () => assert.ok(near(rarity(c), r)));
});

describe('ensemble', () => {
  const table: { name: string; c: number[]; anomaly: number; agreement: number }[] = [
    { name: 'all detectors typical', c: [0.5, 0.5, 0.5, 0.5], anomaly: Math.log10(2) / 4, agreement: 0 },
    { name: 'all detectors at 1-in-10 000', c: [0.9999, 0.9999, 0.9999, 0.9999], anomaly: 1, agreement: 1 },
    // mean rarity (1 + 3·0)/4 = 0.25; 0.5·0.25 + 0.5·1
    {
      name: 'one confident detector is not averaged away',
      c: [0.9999, 0, 0, 0],
      anomaly: 0.625,
      agreement: 0.25,
    },
    {
      name: 'two detectors at 1-in-100',
      c: [0.99, 0.99, 0, 0],
      anomaly: 0.5 * 0.25 + 0.5 * 0.5,
      agreement: 0.5,
    },
  ];
  for (const t of table) {
    it(t.name, () => {
      const r = combine(scores(...t.c));
      assert.ok(near(r.anomaly, t.anomaly), `anomaly ${r.anomaly}`);
      assert.ok(near(r.agreement, t.agreement), `agreement ${r.agreement}`);
    });
  }

  it('weights detectors; a zero weight leaves one out', () => {
    const r = combine(scores(0.9999, 0, 0, 0), { weights: { 'isolation-forest': 0 } });
    assert.equal(r.anomaly, 0);
    assert.equal(r.agreement, 0);
  });

  it('is 0 with no detectors', () => {
    assert.deepEqual(combine([]), { anomaly: 0, agreement: 0 });
  });
});
