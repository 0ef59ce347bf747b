/**
 * ONNX export of the additive forecaster. Input `t` double [N]: epoch seconds. Time is reduced
 * while still in double precision — τ relative to the training window, each season's phase with
 * `Mod(fmod=1)` into [0,1) — and only then cast to float32, so float error does not grow with the
 * timestamp (ONNX-NOTES: 8.7e-4 at day 70 without the reduction). The rest is float32: the basis
 * [τ, hinges, sin/cos harmonics] times the coefficient column, the interval from the residual
 * quantiles widened past the training end, and the map back to raw units clamped at 0.
 * Outputs `yhat`, `lower`, `upper` float [N].
 */
import { GraphBuilder, attr } from '../onnx/builder.js';
import type { ModelMeta } from '../types.js';
import type { AdditiveParams } from './additive.js';
import { forecastMetadata, rawUnits } from './onnx-meta.js';

export const ADDITIVE_OPSET = 18;

export function additiveToOnnx(p: AdditiveParams, meta: ModelMeta): Uint8Array {
  const g = new GraphBuilder('forecast_additive');
  const t = g.input('t', 'double', ['N']);
  const f32 = (v: number[]) => new Float32Array(v);
  const f64 = (v: number) => new Float64Array([v]);
  const axis1 = g.constant(new BigInt64Array([1n]), [1], 'axis_1');
  const column = (v: string) => g.op('Unsqueeze', [v, axis1]); // [N] → [N,1]
  const toFloat = (v: string) => g.op('Cast', [v], { to: attr.int(1) });

  // τ, computed in double: the same operations, in the same order, as the TypeScript reference.
  const shifted = g.op('Sub', [t, g.constant(f64(p.originMs / 1000), [1], 'origin_s')]);
  const tau = toFloat(g.op('Mul', [shifted, g.constant(f64(1000 / p.spanMs), [1], 'inv_span_s')]));
  const tauCol = column(tau);
  const parts = [tauCol];
  if (p.changepoints.length > 0) {
    const cps = g.constant(f32(p.changepoints), [1, p.changepoints.length], 'changepoints');
    parts.push(g.op('Relu', [g.op('Sub', [tauCol, cps])]));
  }
  const one = g.constant(f64(1), [1], 'one_d');
  for (const s of p.seasonalities) {
    const cycles = g.op('Div', [t, g.constant(f64(s.periodSeconds), [1], `period_${s.name}`)]);
    const phase = column(toFloat(g.op('Mod', [cycles, one], { fmod: attr.int(1) })));
    const harmonics = Array.from({ length: s.order }, (_, i) => 2 * Math.PI * (i + 1));
    const angle = g.op('Mul', [phase, g.constant(f32(harmonics), [1, s.order], `harmonics_${s.name}`)]);
    parts.push(g.op('Sin', [angle]), g.op('Cos', [angle]));
  }
  const basis = parts.length > 1 ? g.op('Concat', parts, { axis: attr.int(1) }) : tauCol;
  const coef = g.constant(f32(p.coef), [p.coef.length, 1], 'coef');
  const flat = g.constant(new BigInt64Array([-1n]), [1], 'shape_flat');
  const linear = g.op('Reshape', [g.op('MatMul', [basis, coef]), flat]);
  const z = g.op('Add', [linear, g.constant(f32([p.intercept]), [1], 'intercept')]);

  // widen = 1 + widening·max(0, τ − 1)
  const past = g.op('Relu', [g.op('Sub', [tau, g.constant(f32([1]), [1], 'one_f')])]);
  const widen = g.op('Add', [
    g.constant(f32([1]), [1], 'one_w'),
    g.op('Mul', [past, g.constant(f32([p.widening]), [1], 'widening')]),
  ]);
  const lowZ = g.op('Add', [z, g.op('Mul', [widen, g.constant(f32([p.residualLow]), [1], 'residual_low')])]);
  const highZ = g.op('Add', [
    z,
    g.op('Mul', [widen, g.constant(f32([p.residualHigh]), [1], 'residual_high')]),
  ]);

  const raw = (v: string) => rawUnits(g, p.scale, v);
  g.output(raw(z), 'float', ['N'], 'yhat');
  g.output(raw(lowZ), 'float', ['N'], 'lower');
  g.output(raw(highZ), 'float', ['N'], 'upper');
  return g.toBytes({
    opset: ADDITIVE_OPSET,
    metadata: forecastMetadata(meta, {
      input_t: 'epoch seconds (double)',
      scale: p.scale,
      step_ms: String(p.stepMs),
    }),
    docString: 'Additive forecaster: piecewise-linear trend + Fourier seasonality; t in epoch seconds.',
  });
}
