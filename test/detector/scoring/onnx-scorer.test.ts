import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { loadAnomalyModels, trainAnomalyModels } from '../../../src/detector/models/anomaly-models.js';
import { calibrate } from '../../../src/detector/models/calibration.js';
import { sliceRows, takeRows } from '../../../src/detector/models/matrix.js';
import type { Matrix } from '../../../src/detector/models/types.js';
import {
  OnnxScorer,
  createOrtSession,
  type BatchScore,
  type ScorerModel,
  type SessionFactory,
} from '../../../src/detector/scoring/onnx-scorer.js';
import { auc, ctu13Windows, isNormalHost, isSpamWindow, scoresOf, trainingRows } from '../models/fixture.js';

/** A real onnxruntime session that records how many rows each run got and whether it was released. */
function countingFactory() {
  const runs: number[] = [];
  let open = 0;
  const factory: SessionFactory = async (onnx) => {
    const s = await createOrtSession(onnx);
    open++;
    return {
      run: (feeds) => {
        runs.push(feeds.X!.dims[0]!);
        return s.run(feeds);
      },
      release: async () => {
        open--;
        await s.release();
      },
    };
  };
  return { factory, runs, open: () => open };
}

async function modelSet(seed: number, version: number): Promise<ScorerModel[]> {
  const t = await trainAnomalyModels(trainingRows().matrix, { seed });
  return t.models.map((m) => ({ version, params: m.params, onnx: m.onnx }));
}

/**
 * Same results up to float32 summation order: onnxruntime's matrix kernels sum in a different
 * order for one row than for many, so raw scores may differ by ~1e-8 (1e-6 allowed), which a steep
 * stretch of a calibration map can stretch to ~1e-5 (1e-4 allowed, the ONNX-vs-reference tolerance).
 * Clusters and explanations must be identical.
 */
function assertSameRows(a: BatchScore['rows'], b: BatchScore['rows']): void {
  assert.equal(a.length, b.length);
  const near = (x: number, y: number, tolerance: number, what: string) =>
    assert.ok(Math.abs(x - y) <= tolerance, `${what}: ${x} vs ${y}`);
  a.forEach((r, i) => {
    const o = b[i]!;
    near(r.anomaly, o.anomaly, 1e-4, `row ${i} anomaly`);
    assert.equal(r.agreement, o.agreement);
    assert.equal(r.cluster, o.cluster);
    assert.deepEqual(r.explanation?.features, o.explanation?.features);
    r.detectors.forEach((d, k) => {
      assert.equal(d.detector, o.detectors[k]!.detector);
      near(d.raw, o.detectors[k]!.raw, 1e-6, `row ${i} ${d.detector} raw`);
      near(d.score, o.detectors[k]!.score, 1e-4, `row ${i} ${d.detector} score`);
    });
  });
}

/** 2500 real rows: the fixture, repeated. */
function rows2500(): Matrix {
  const x = ctu13Windows().matrix;
  return takeRows(
    x,
    Array.from({ length: 2500 }, (_, i) => (i * 7) % x.rows),
  );
}

describe('OnnxScorer', () => {
  let setA: ScorerModel[];
  let setB: ScorerModel[];

  before(async () => {
    setA = await modelSet(1, 1);
    setB = await modelSet(2, 2);
  });

  it('scores 2500 rows in runs of at most 1024 rows, the same as one row at a time', async () => {
    const counting = countingFactory();
    const scorer = await OnnxScorer.create(setA, { createSession: counting.factory });
    const x = rows2500();
    const whole = await scorer.score(x);
    assert.ok(counting.runs.length > 0 && Math.max(...counting.runs) <= 1024, counting.runs.join(','));
    assert.equal(
      counting.runs.reduce((a, b) => a + b, 0),
      2500 * setA.length,
    );
    const single: BatchScore['rows'] = [];
    for (let i = 0; i < x.rows; i++) single.push(...(await scorer.score(sliceRows(x, i, i + 1))).rows);
    assertSameRows(whole.rows, single);
    await scorer.close();
    assert.equal(counting.open(), 0);
  });

  it('returns raw and calibrated scores per detector, the ensemble, the cluster and an explanation', async () => {
    const scorer = await OnnxScorer.create(setA);
    const f = ctu13Windows();
    const out = await scorer.score(f.matrix);
    assert.deepEqual(out.models, { 'isolation-forest': 1, ocsvm: 1, kmeans: 1, dbscan: 1 });
    const refs = loadAnomalyModels(setA.map((m) => m.params));
    const refScores = refs.map((r) => r.detector.score(f.matrix));
    out.rows.forEach((row, i) => {
      assert.equal(row.detectors.length, 4);
      row.detectors.forEach((d, k) => {
        assert.equal(d.detector, refs[k]!.name);
        assert.ok(Math.abs(d.raw - refScores[k]![i]!) <= 1e-4);
        assert.equal(d.score, calibrate(refs[k]!.params.calibration, d.raw));
      });
      assert.ok(row.anomaly >= 0 && row.anomaly <= 1 && row.agreement >= 0 && row.agreement <= 1);
      assert.ok(Number.isInteger(row.cluster));
      assert.ok(
        row.explanation && row.explanation.features.length === 5 && row.explanation.summary.length > 0,
      );
    });
    const anomaly = out.rows.map((r) => r.anomaly);
    assert.ok(auc(scoresOf(f, anomaly, isSpamWindow), scoresOf(f, anomaly, isNormalHost)) >= 0.99);
    const partial = await scorer.score(f.matrix, { explain: { minAnomaly: 0.6 } });
    const explained = partial.rows.filter((r) => r.explanation).length;
    assert.ok(explained > 0 && explained < f.rows.length / 2);
    assert.ok(partial.rows.every((r) => (r.explanation !== undefined) === r.anomaly >= 0.6));
    await scorer.close();
  });

  it('hot swap: a batch in flight finishes on the old set, later batches use the new one, old sessions are released', async () => {
    const counting = countingFactory();
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let held = true;
    // Runs of the first set wait at the gate while held, so the swap certainly lands mid-batch.
    const gated: SessionFactory = async (onnx) => {
      const s = await counting.factory(onnx);
      const mine = held;
      return {
        run: async (feeds) => (mine && held ? gate.then(() => s.run(feeds)) : s.run(feeds)),
        release: () => s.release(),
      };
    };
    const scorer = await OnnxScorer.create(setA, { createSession: gated });
    held = false;
    const x = rows2500();
    const onlyA = await scorer.score(x);
    held = true;
    const inFlight = scorer.score(x);
    held = false;
    await scorer.swap(setB);
    assert.equal(counting.open(), 8, 'the old set stays open while a batch uses it');
    open();
    const during = await inFlight;
    assert.equal(counting.open(), 4, 'and is released when that batch is done');
    const afterSwap = await scorer.score(x);
    assert.deepEqual(during.models, onlyA.models);
    assert.deepEqual(during.rows, onlyA.rows);
    assert.deepEqual(afterSwap.models, { 'isolation-forest': 2, ocsvm: 2, kmeans: 2, dbscan: 2 });
    assert.deepEqual(scorer.versions, afterSwap.models);
    const fresh = await OnnxScorer.create(setB);
    assert.deepEqual(afterSwap.rows, (await fresh.score(x)).rows);
    assert.notDeepEqual(afterSwap.rows, onlyA.rows);
    await fresh.close();
    await scorer.close();
    assert.equal(counting.open(), 0);
  });

  it('keeps the current set when the new one fails to load', async () => {
    const scorer = await OnnxScorer.create(setA);
    const broken = setB.map((m, i) => (i === 2 ? { ...m, onnx: new Uint8Array([1, 2, 3]) } : m));
    await assert.rejects(scorer.swap(broken), { code: 'model-load-failed' } as object);
    assert.deepEqual(scorer.versions, { 'isolation-forest': 1, ocsvm: 1, kmeans: 1, dbscan: 1 });
    assert.equal((await scorer.score(sliceRows(rows2500(), 0, 10))).rows.length, 10);
    await scorer.close();
  });

  it('refuses rows of the wrong width, a closed scorer and runs over 1024 rows', async () => {
    const scorer = await OnnxScorer.create(setA);
    await assert.rejects(scorer.score({ data: new Float32Array(6), rows: 2, dims: 3 }), {
      code: 'matrix-shape',
    } as object);
    await scorer.close();
    await assert.rejects(scorer.score(sliceRows(rows2500(), 0, 1)), { code: 'scorer-closed' } as object);
    await assert.rejects(OnnxScorer.create(setA, { maxRowsPerRun: 4096 }), {
      code: 'scorer-bad-batch',
    } as object);
  });
});
