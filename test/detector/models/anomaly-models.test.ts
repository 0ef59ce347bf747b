import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import {
  ANOMALY_DETECTORS,
  exportAnomalyModel,
  loadAnomalyModels,
  trainAnomalyModels,
  type AnomalyModelParams,
  type TrainedAnomalyModels,
} from '../../../src/detector/models/anomaly-models.js';
import { calibrateAll } from '../../../src/detector/models/calibration.js';
import { takeRows } from '../../../src/detector/models/matrix.js';
import { ctu13Windows, trainingRows } from './fixture.js';

describe('trainAnomalyModels / loadAnomalyModels', () => {
  const x = trainingRows().matrix;
  let trained: TrainedAnomalyModels;

  before(async () => {
    trained = await trainAnomalyModels(x, { seed: 4, meta: { version: 7 } });
  });

  it('trains all four detectors, holding 20% of the rows out for calibration', () => {
    assert.deepEqual(
      trained.models.map((m) => m.name),
      ANOMALY_DETECTORS,
    );
    assert.equal(trained.rows.calibration, Math.floor(x.rows * 0.2));
    assert.equal(trained.rows.fit + trained.rows.calibration, x.rows);
    assert.ok(trained.rows.heldOut);
    for (const m of trained.models) {
      assert.equal(m.params.calibration.rows, trained.rows.calibration);
      assert.ok(m.onnx.length > 1000 && m.metrics.onnxBytes === m.onnx.length);
    }
  });

  it('params survive JSON and rebuild the same detectors and the same ONNX bytes', () => {
    const json = JSON.parse(JSON.stringify(trained.models.map((m) => m.params))) as AnomalyModelParams[];
    const loaded = loadAnomalyModels(json);
    const all = ctu13Windows().matrix;
    trained.models.forEach((m, i) => {
      const again = loaded[i]!;
      assert.equal(again.name, m.name);
      assert.deepEqual(again.detector.score(all), loadAnomalyModels([m.params])[0]!.detector.score(all));
      assert.deepEqual(exportAnomalyModel(again.params, { version: 7 }), m.onnx);
    });
  });

  it('calibrated scores of the background windows spread over [0,1] (median near 0.5)', () => {
    const all = ctu13Windows();
    const normal = takeRows(
      all.matrix,
      all.rows.flatMap((r, i) => (r.label === 'background' ? [i] : [])),
    );
    for (const m of loadAnomalyModels(trained.models.map((t) => t.params))) {
      const c = Array.from(calibrateAll(m.params.calibration, m.detector.score(normal))).sort(
        (a, b) => a - b,
      );
      const median = c[Math.floor(c.length / 2)]!;
      assert.ok(median > 0.3 && median < 0.7, `${m.name}: median calibrated ${median}`);
    }
  });

  it('is deterministic for a seed', async () => {
    const again = await trainAnomalyModels(x, {
      seed: 4,
      meta: { version: 7 },
      detectors: ['isolation-forest', 'kmeans'],
    });
    assert.deepEqual(again.models[0]!.onnx, trained.models[0]!.onnx);
    assert.deepEqual(again.models[1]!.onnx, trained.models[2]!.onnx);
  });

  it('calibrates on the training rows themselves when there are too few to hold any out', async () => {
    const small = takeRows(
      x,
      Array.from({ length: 200 }, (_, i) => i * 3),
    );
    const r = await trainAnomalyModels(small, { seed: 1, detectors: ['kmeans'] });
    assert.deepEqual(r.rows, { fit: 200, calibration: 200, heldOut: false });
  });

  it('refuses rows of another width and parameters of another feature schema', async () => {
    await assert.rejects(trainAnomalyModels({ data: new Float32Array(30), rows: 10, dims: 3 }, { seed: 1 }), {
      code: 'matrix-shape',
    } as object);
    const p = { ...trained.models[0]!.params, featureSchemaVersion: 99 };
    assert.throws(() => loadAnomalyModels([p]), { code: 'model-schema-mismatch' } as object);
  });
});
