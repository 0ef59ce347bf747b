import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as ort from 'onnxruntime-node';
import { GraphBuilder, attr } from '../../../src/detector/models/onnx/builder.js';

describe('GraphBuilder', () => {
  it('builds a model onnxruntime runs: y = sum((x - c)^2, axis 1)', async () => {
    const g = new GraphBuilder('sq-dist');
    const x = g.input('X', 'float', ['N', 3]);
    const c = g.constant(new Float32Array([1, 2, 3]), [1, 3]);
    const d = g.op('Sub', [x, c]);
    const sq = g.op('Mul', [d, d]);
    const axes = g.constant(new BigInt64Array([1n]), [1]);
    const s = g.op('ReduceSum', [sq, axes], { keepdims: attr.int(0) });
    g.output(s, 'float', ['N'], 'Y');
    const bytes = g.toBytes({ opset: 18, metadata: { model: 'test' } });
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const input = new ort.Tensor('float32', new Float32Array([1, 2, 3, 2, 2, 2]), [2, 3]);
    const out = await session.run({ X: input });
    assert.deepEqual(Array.from(out.Y!.data as Float32Array), [0, 2]);
  });

  it('refuses a tensor whose data does not fill its dims', () => {
    const g = new GraphBuilder('bad');
    assert.throws(() => g.constant(new Float32Array(3), [2, 2]), /3 values for dims \[2,2\]/);
  });
});
