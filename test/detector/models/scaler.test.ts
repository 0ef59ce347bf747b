import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, FEATURE_SCHEMA } from '../../../src/detector/features/schema.js';
import { matrixFromRows } from '../../../src/detector/models/matrix.js';
import { GraphBuilder } from '../../../src/detector/models/onnx/builder.js';
import {
  CLIP,
  chooseColumns,
  fitScaler,
  quantileSorted,
  scalerToOnnx,
  transform,
} from '../../../src/detector/models/scaler.js';
import { ctu13Windows } from './fixture.js';

const F = FEATURE_SCHEMA.index;

/** Full-width rows whose time features say `hour` and `day`, other features from `fill`. */
function rowsAt(times: { hour: number; day: number }[], fill: (i: number) => number = () => 0): number[][] {
  return times.map(({ hour, day }, i) => {
    const v = Array.from({ length: FEATURE_COUNT }, () => fill(i));
    v[F.hour_sin] = Math.sin((2 * Math.PI * hour) / 24);
    v[F.hour_cos] = Math.cos((2 * Math.PI * hour) / 24);
    v[F.dow_sin] = Math.sin((2 * Math.PI * day) / 7);
    v[F.dow_cos] = Math.cos((2 * Math.PI * day) / 7);
    return v;
  });
}

describe('robust scaler', () => {
  it('quantiles interpolate linearly', () => {
    const table: [number, number][] = [
      [0, 1],
      [0.25, 1.75],
      [0.5, 2.5],
      [1, 4],
    ];
    for (const [p, q] of table) assert.equal(quantileSorted([1, 2, 3, 4], p), q);
  });

  it('median and IQR/1.349 per feature; std where the IQR is 0; never below minScale', () => {
    const x = matrixFromRows([
      [1, 0, 5],
      [2, 0, 5],
      [3, 0, 5],
      [4, 0, 5],
      [5, 1, 5],
    ]);
    const s = fitScaler(x, { minScale: 0.05 });
    assert.deepEqual(s.median, [3, 0, 5]);
    assert.ok(Math.abs(s.scale[0]! - 2 / 1.349) < 1e-6);
    assert.ok(Math.abs(s.scale[1]! - 0.4) < 1e-6, 'std of [0,0,0,0,1]');
    assert.ok(Math.abs(s.scale[2]! - 0.05) < 1e-6, 'constant → minScale');
  });

  it('drops the hour features when training covers part of a day, the weekday features when it covers part of a week', () => {
    const afternoon = rowsAt(Array.from({ length: 40 }, (_, i) => ({ hour: 13 + (i % 3), day: 2 })));
    const cols = chooseColumns(matrixFromRows(afternoon));
    assert.ok(!cols.includes(F.hour_sin) && !cols.includes(F.dow_cos));
    assert.equal(cols.length, FEATURE_COUNT - 4);
    const weeks = rowsAt(
      Array.from({ length: 24 * 14 }, (_, i) => ({ hour: i % 24, day: Math.floor(i / 24) % 7 })),
    );
    assert.equal(chooseColumns(matrixFromRows(weeks)).length, FEATURE_COUNT);
    const days = rowsAt(Array.from({ length: 48 }, (_, i) => ({ hour: i % 24, day: 0 })));
    const dayCols = chooseColumns(matrixFromRows(days));
    assert.ok(dayCols.includes(F.hour_sin) && !dayCols.includes(F.dow_sin));
  });

  it('the ONNX scaler (Gather, Sub, Div, Clip) equals transform() on real rows', async () => {
    const x = ctu13Windows().matrix;
    const s = fitScaler(x);
    const g = new GraphBuilder('scaler');
    g.output(scalerToOnnx(g, g.input('X', 'float', ['N', x.dims]), s), 'float', ['N', s.columns.length], 'Z');
    const session = await ort.InferenceSession.create(g.toBytes(), { logSeverityLevel: 3 });
    const out = await session.run({ X: new ort.Tensor('float32', x.data, [x.rows, x.dims]) });
    const z = out.Z!.data as Float32Array;
    const ref = transform(s, x);
    let worst = 0;
    let clipped = 0;
    for (let i = 0; i < z.length; i++) {
      worst = Math.max(worst, Math.abs(z[i]! - ref.data[i]!));
      if (Math.abs(ref.data[i]!) === CLIP) clipped++;
    }
    assert.ok(worst < 1e-5, `${worst}`);
    assert.ok(clipped > 0, 'real rows reach the clip');
    await session.release();
  });

  it('an explicit column list wins over the automatic choice', () => {
    const x = matrixFromRows(
      rowsAt(
        [
          { hour: 1, day: 1 },
          { hour: 2, day: 1 },
        ],
        (i) => i,
      ),
    );
    assert.deepEqual(fitScaler(x, { columns: ['peers_log', 'flows_log'] }).columns, [
      F.flows_log,
      F.peers_log,
    ]);
  });
});
