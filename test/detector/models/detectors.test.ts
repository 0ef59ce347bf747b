import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dbscan, kneeEps, trainDbscan } from '../../../src/detector/models/dbscan.js';
import {
  IsolationForest,
  averagePathLength,
  trainIsolationForest,
} from '../../../src/detector/models/isolation-forest.js';
import { KMeans, clusterChange, trainKMeans } from '../../../src/detector/models/kmeans.js';
import { matrixFromRows } from '../../../src/detector/models/matrix.js';
import { OneClassSvm, trainOcsvm } from '../../../src/detector/models/ocsvm.js';
import { solveOneClass } from '../../../src/detector/models/ocsvm-solver.js';
import { fitScaler, transform } from '../../../src/detector/models/scaler.js';
import type { AnomalyDetector, Matrix, ModelMeta } from '../../../src/detector/models/types.js';
import { auc, ctu13Windows, isNormalHost, isSpamWindow, scoresOf, trainingRows } from './fixture.js';

const fixture = ctu13Windows();
const train = trainingRows().matrix;
const scaler = fitScaler(train);
const META: Omit<ModelMeta, 'name'> = { version: 1, featureSchemaVersion: 1 };

const detectors: { name: string; make: (seed: number) => AnomalyDetector }[] = [
  {
    name: 'isolation forest',
    make: (seed) => new IsolationForest(trainIsolationForest(train, { seed, columns: scaler.columns })),
  },
  { name: 'one-class SVM', make: (seed) => new OneClassSvm(trainOcsvm(train, scaler, { seed })) },
  { name: 'k-means', make: (seed) => new KMeans(trainKMeans(train, scaler, { seed })) },
  { name: 'DBSCAN', make: (seed) => new Dbscan(trainDbscan(train, scaler, { seed })) },
];

describe('each detector on real CTU-13 windows (trained without the botnet host)', () => {
  for (const d of detectors) {
    it(`${d.name} ranks the botnet's SPAM fan-out windows above the Normal hosts' windows`, () => {
      const s = d.make(3).score(fixture.matrix);
      const spam = scoresOf(fixture, s, isSpamWindow);
      assert.ok(spam.length > 200);
      assert.ok(auc(spam, scoresOf(fixture, s, isNormalHost)) >= 0.97, 'AUC vs Normal hosts');
      assert.ok(
        auc(
          spam,
          scoresOf(fixture, s, (r) => r.label === 'background'),
        ) >= 0.95,
        'AUC vs background',
      );
    });

    it(`${d.name} is deterministic for a seed and differs across seeds`, () => {
      const meta = { ...META, name: d.make(1).name };
      const a = d.make(5).toOnnx(meta);
      assert.deepEqual(d.make(5).toOnnx(meta), a);
      assert.notDeepEqual(d.make(6).toOnnx(meta), a);
    });
  }
});

describe('isolation forest', () => {
  it('c(n), the average unsuccessful-search path length', () => {
    const table: [number, number][] = [
      [0, 0],
      [1, 0],
      [2, 1],
      [256, 10.2448],
    ];
    for (const [n, c] of table) assert.ok(Math.abs(averagePathLength(n) - c) < 1e-4, `c(${n})`);
  });

  it('keeps every split threshold float32-exact and strictly inside the node range', () => {
    const p = trainIsolationForest(train, { seed: 2, trees: 10 });
    for (const t of p.trees) {
      t.feature.forEach((f, i) => {
        if (f >= 0) assert.equal(Math.fround(t.threshold[i]!), t.threshold[i]);
      });
    }
    assert.equal(p.trees.length, 10);
    assert.ok(p.trees.every((t) => Math.max(...t.value) <= 8 + averagePathLength(256)));
  });

  it('scores in (0, 1)', () => {
    const s = new IsolationForest(trainIsolationForest(train, { seed: 1 })).score(fixture.matrix);
    assert.ok(s.every((v) => v > 0 && v < 1));
  });
});

describe('one-class SVM solver', () => {
  // Two blobs and a few far points, in 2-D.
  const pts: number[][] = [];
  for (let i = 0; i < 60; i++) pts.push([Math.cos(i) * 0.5, Math.sin(i * 1.3) * 0.5]);
  for (let i = 0; i < 60; i++) pts.push([4 + Math.cos(i * 0.7) * 0.5, 4 + Math.sin(i) * 0.5]);
  pts.push([10, -10], [-8, 9], [12, 12]);
  const data = Float64Array.from(pts.flat());

  for (const nu of [0.05, 0.1, 0.3]) {
    it(`ν = ${nu}: Σα = ν·l, 0 ≤ α ≤ 1, outliers ≤ ν·l ≤ support vectors`, () => {
      const l = pts.length;
      const { alpha, rho } = solveOneClass(data, l, 2, { nu, gamma: 0.5 });
      const sum = alpha.reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(sum - nu * l) < 1e-6);
      assert.ok(alpha.every((a) => a >= 0 && a <= 1));
      let outside = 0;
      for (let i = 0; i < l; i++) {
        let dec = -rho;
        for (let j = 0; j < l; j++) {
          const d2 = (data[i * 2]! - data[j * 2]!) ** 2 + (data[i * 2 + 1]! - data[j * 2 + 1]!) ** 2;
          dec += alpha[j]! * Math.exp(-0.5 * d2);
        }
        if (dec < -1e-3) outside++;
      }
      const svs = alpha.filter((a) => a > 0).length;
      assert.ok(outside <= Math.ceil(nu * l), `${outside} outside`);
      assert.ok(svs >= Math.floor(nu * l), `${svs} support vectors`);
    });
  }

  it('puts the far points outside the support and the blobs inside', () => {
    const m: Matrix = matrixFromRows(pts);
    const sc = { median: [0, 0], scale: [1, 1], columns: [0, 1] };
    const svm = new OneClassSvm(trainOcsvm(m, sc, { seed: 1, nu: 0.1, gamma: 0.5 }));
    const s = svm.score(m);
    assert.ok(s[120]! > 0 && s[121]! > 0 && s[122]! > 0);
    assert.ok(Math.max(...s.slice(0, 120)) < Math.min(...s.slice(120)));
  });
});

describe('k-means cluster change', () => {
  const cases: { name: string; history: number[]; current: number; changed: boolean; usual?: number }[] = [
    {
      name: 'stays in its usual cluster',
      history: Array<number>(12).fill(2),
      current: 2,
      changed: false,
      usual: 2,
    },
    {
      name: 'leaves its usual cluster',
      history: [...Array<number>(10).fill(1), 3, 3],
      current: 4,
      changed: true,
      usual: 1,
    },
    { name: 'too little history', history: [1, 1, 1], current: 4, changed: false },
    {
      name: 'no dominant cluster',
      history: [0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3],
      current: 5,
      changed: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = clusterChange(c.history, c.current);
      assert.equal(r.changed, c.changed);
      assert.equal(r.usual, c.usual);
    });
  }

  it('assigns each row to its nearest centroid', () => {
    const km = new KMeans(trainKMeans(train, scaler, { seed: 1, k: 5 }));
    const { score, cluster } = km.assign(fixture.matrix);
    const z = transform(scaler, fixture.matrix);
    for (let i = 0; i < 50; i++) {
      const d = km.params.centroids.map((c) =>
        Math.sqrt(c.reduce((s, v, k) => s + (z.data[i * z.dims + k]! - v) ** 2, 0)),
      );
      assert.equal(cluster[i], d.indexOf(Math.min(...d)));
      assert.ok(Math.abs(score[i]! - Math.min(...d)) < 1e-3);
    }
  });
});

describe('DBSCAN', () => {
  it('eps sits at the knee of the k-distance curve, within its 90th–99th percentiles', () => {
    const flat = Float64Array.from({ length: 100 }, (_, i) => (i < 93 ? 1 + i * 0.001 : 5 + i));
    const eps = kneeEps(flat);
    assert.ok(eps >= 1 && eps < 5, `eps ${eps}`);
  });

  it('scores most training rows ≤ 0 (inside a cluster) and a far row > 0', () => {
    const p = trainDbscan(train, scaler, { seed: 1 });
    const db = new Dbscan(p);
    assert.ok(p.corePoints.length > 10 && p.noiseShare < 0.5);
    const s = db.score(trainingRows().matrix);
    const inside = s.filter((v) => v <= 0).length / s.length;
    assert.ok(inside > 0.8, `${inside} of the training rows inside`);
    const far = matrixFromRows([
      Array.from(train.data.subarray(0, train.dims), (v, j) => v + 50 * scaler.scale[j]!),
    ]);
    assert.ok(db.score(far)[0]! > 0);
  });
});
