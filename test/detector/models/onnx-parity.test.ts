import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import {
  detectorFromParams,
  trainAnomalyModels,
  type TrainedAnomalyModel,
} from '../../../src/detector/models/anomaly-models.js';
import type { KMeans } from '../../../src/detector/models/kmeans.js';
import type { AnomalyDetectorName } from '../../../src/detector/models/types.js';
import { ctu13Windows, trainingRows } from './fixture.js';

const TOLERANCE = 1e-4;

async function runOnnx(onnx: Uint8Array, data: Float32Array, rows: number, dims: number) {
  const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3 });
  try {
    return await session.run({ X: new ort.Tensor('float32', data, [rows, dims]) });
  } finally {
    await session.release();
  }
}

describe('ONNX export equals the TypeScript reference on real CTU-13 window rows', () => {
  const fixture = ctu13Windows();
  const x = fixture.matrix;
  let models: Map<AnomalyDetectorName, TrainedAnomalyModel>;

  before(async () => {
    const trained = await trainAnomalyModels(trainingRows().matrix, { seed: 11 });
    models = new Map(trained.models.map((m) => [m.name, m]));
  });

  for (const name of ['isolation-forest', 'ocsvm', 'kmeans', 'dbscan'] as const) {
    it(`${name}: |ONNX − TS| ≤ ${TOLERANCE} on all ${x.rows} rows`, async () => {
      const model = models.get(name)!;
      const reference = detectorFromParams(model.params).score(x);
      const out = await runOnnx(model.onnx, x.data, x.rows, x.dims);
      const onnx = out.score!.data as Float32Array;
      assert.equal(onnx.length, x.rows);
      let worst = 0;
      for (let i = 0; i < x.rows; i++) worst = Math.max(worst, Math.abs(onnx[i]! - reference[i]!));
      assert.ok(worst <= TOLERANCE, `max |ONNX − TS| = ${worst}`);
      // The rows must actually spread the scores, or equality would prove little.
      const distinct = new Set(Array.from(reference, (v) => v.toFixed(4))).size;
      assert.ok(distinct > 100, `only ${distinct} distinct scores`);
    });
  }

  it('kmeans: the ONNX cluster output equals the TypeScript assignment', async () => {
    const model = models.get('kmeans')!;
    const reference = (detectorFromParams(model.params) as KMeans).assign(x).cluster;
    const out = await runOnnx(model.onnx, x.data, x.rows, x.dims);
    const cluster = Array.from(out.cluster!.data as BigInt64Array, Number);
    assert.deepEqual(cluster, Array.from(reference));
    assert.ok(new Set(cluster).size > 1);
  });

  it('an exported model carries its name, version and feature schema in its metadata', () => {
    const decoded = onnxProto.onnx.ModelProto.decode(models.get('ocsvm')!.onnx);
    const meta = new Map(decoded.metadataProps.map((p) => [String(p.key), String(p.value)]));
    assert.equal(meta.get('foresight.model'), 'ocsvm');
    assert.equal(meta.get('foresight.version'), '0');
    assert.equal(meta.get('foresight.feature_schema_version'), '1');
  });
});
