/**
 * ONNX export of the LSTM forecaster. The weights are remapped from tfjs/Keras layout to the
 * ONNX `LSTM` op (ONNX-NOTES): sequence-first input [window, N, 1] (onnxruntime's CPU kernel
 * refuses layout=1), gates reordered i,f,c,o → i,o,f,c, kernels transposed to [4·units, in],
 * the Keras bias in the input half of B and a zero recurrent half. Activations are the ONNX
 * defaults (Sigmoid, Tanh, Tanh), matching the sigmoid recurrent activation the trainer sets.
 * Normalisation and its inverse are inside the graph, so callers pass and get raw values.
 */
import { GraphBuilder, attr } from '../onnx/builder.js';
import type { ModelMeta } from '../types.js';
import type { LstmParams } from './lstm.js';
import { forecastMetadata, rawUnits } from './onnx-meta.js';

export const LSTM_OPSET = 18;

/** ONNX gate position → tfjs gate position (tfjs i,f,c,o; ONNX i,o,f,c). */
const ONNX_TO_TF_GATE = [0, 3, 1, 2] as const;

/** Keras [in, 4·units] (row-major) → ONNX [4·units, in], gates reordered. */
export function toOnnxGates(kernel: readonly number[], inputs: number, units: number): Float32Array {
  const out = new Float32Array(4 * units * inputs);
  ONNX_TO_TF_GATE.forEach((tfGate, onnxGate) => {
    for (let j = 0; j < units; j++) {
      for (let k = 0; k < inputs; k++) {
        out[(onnxGate * units + j) * inputs + k] = kernel[k * 4 * units + tfGate * units + j]!;
      }
    }
  });
  return out;
}

export function lstmToOnnx(p: LstmParams, meta: ModelMeta): Uint8Array {
  const g = new GraphBuilder('forecast_lstm');
  const u = p.units;
  const x = g.input('x', 'float', ['N', p.window]);
  const scalar = (v: number, name: string) => g.constant(new Float32Array([v]), [1], name);
  const one = scalar(1, 'one');

  const modelScale = p.scale === 'log1p' ? g.op('Log', [g.op('Add', [g.op('Relu', [x]), one])]) : x;
  const z = g.op('Div', [g.op('Sub', [modelScale, scalar(p.mean, 'mean')]), scalar(p.std, 'std')]);
  const seq = g.op('Unsqueeze', [
    g.op('Transpose', [z], { perm: attr.ints([1, 0]) }),
    g.constant(new BigInt64Array([2n]), [1], 'axis_2'),
  ]);

  const w = g.constant(toOnnxGates(p.kernel, 1, u), [1, 4 * u, 1], 'W');
  const r = g.constant(toOnnxGates(p.recurrentKernel, u, u), [1, 4 * u, u], 'R');
  const b = new Float32Array(8 * u);
  b.set(toOnnxGates(p.bias, 1, u));
  const bias = g.constant(b, [1, 8 * u], 'B');
  const [, lastH] = g.node(
    'LSTM',
    [seq, w, r, bias],
    { hidden_size: attr.int(u) },
    { outputs: ['lstm_y', 'lstm_y_h'] },
  );
  const h = g.op('Squeeze', [lastH!, g.constant(new BigInt64Array([0n]), [1], 'axis_0')]); // [N, units]
  const dense = g.op('MatMul', [h, g.constant(new Float32Array(p.denseKernel), [u, 1], 'dense_kernel')]);
  const next = g.op('Add', [
    g.op('Reshape', [dense, g.constant(new BigInt64Array([-1n]), [1], 'shape_flat')]),
    scalar(p.denseBias, 'dense_bias'),
  ]);

  const raw = (zv: string) => {
    const m = g.op('Add', [g.op('Mul', [zv, scalar(p.std, `std_${zv}`)]), scalar(p.mean, `mean_${zv}`)]);
    return rawUnits(g, p.scale, m);
  };
  g.output(raw(next), 'float', ['N'], 'yhat');
  g.output(raw(g.op('Add', [next, scalar(p.residualLow, 'residual_low')])), 'float', ['N'], 'lower');
  g.output(raw(g.op('Add', [next, scalar(p.residualHigh, 'residual_high')])), 'float', ['N'], 'upper');
  // The normalised forecast, so a caller iterating the graph can widen the interval by √h itself.
  g.output(next, 'float', ['N'], 'z');
  return g.toBytes({
    opset: LSTM_OPSET,
    metadata: forecastMetadata(meta, {
      input_x: `last ${p.window} raw values, oldest first`,
      scale: p.scale,
      step_ms: String(p.stepMs),
      window: String(p.window),
    }),
    docString: 'LSTM forecaster: next value from the last `window` values; iterate for longer horizons.',
  });
}
