/**
 * One-class SVM with an RBF kernel on robustly scaled rows, trained on a random subsample (the
 * solver's cost grows faster than linearly) by our own SMO solver (ocsvm-solver.ts). The kernel
 * width comes from the median heuristic: γ = 1 / median ‖xᵢ − xⱼ‖² over random pairs of the
 * subsample, which follows the data's own spread instead of a fixed 1/dims.
 *
 * Score = −decision value = ρ − Σ αᵢ exp(−γ‖x − svᵢ‖²), with α and ρ divided by Σα (= ν·l) so the
 * score lives in [−ρ, 1 − ρ] whatever the subsample size; > 0 means outside the learnt support.
 *
 * Export: plain ops (scaler → MatMul expansion of the squared distances → Exp → MatMul with α),
 * which ONNX-NOTES measured ~5× faster than SVMRegressor at large batches.
 */
import { ForesightError } from '../../errors.js';
import { assertMatrix, takeRows } from './matrix.js';
import { GraphBuilder } from './onnx/builder.js';
import { squaredDistancesFast } from './onnx/distance.js';
import { modelMetadata } from './onnx/meta.js';
import { solveOneClass } from './ocsvm-solver.js';
import { ModelRng } from './random.js';
import { scalerToOnnx, transform, transformRow, type ScalerParams } from './scaler.js';
import type { AnomalyDetector, Matrix, ModelMeta } from './types.js';

export interface OcsvmParams {
  dims: number;
  scaler: ScalerParams;
  nu: number;
  gamma: number;
  rho: number;
  /** Support vectors in scaled space (float32-exact), one array per vector. */
  supportVectors: number[][];
  /** Their weights, normalised to sum to 1. */
  alpha: number[];
  trainRows: number;
  iterations: number;
}

export interface OcsvmOptions {
  seed: number;
  /** Upper bound on the share of training rows outside the support (default 0.05). */
  nu?: number;
  /** Subsample size the solver sees (default 3000). */
  maxRows?: number;
  /** Fixed kernel width; default the median heuristic. */
  gamma?: number;
}

function medianHeuristic(z: Matrix, rng: ModelRng): number {
  const pairs = Math.min(20_000, (z.rows * (z.rows - 1)) / 2);
  const d2: number[] = [];
  for (let p = 0; p < pairs; p++) {
    const i = rng.int(z.rows);
    const j = rng.int(z.rows);
    if (i === j) continue;
    let s = 0;
    for (let k = 0; k < z.dims; k++) s += (z.data[i * z.dims + k]! - z.data[j * z.dims + k]!) ** 2;
    if (s > 0) d2.push(s);
  }
  if (d2.length === 0) return 1 / Math.max(1, z.dims);
  d2.sort((a, b) => a - b);
  return 1 / d2[Math.floor(d2.length / 2)]!;
}

export function trainOcsvm(x: Matrix, scaler: ScalerParams, options: OcsvmOptions): OcsvmParams {
  if (x.rows < 2)
    throw new ForesightError('training-too-few-rows', `one-class SVM needs ≥ 2 rows, got ${x.rows}`);
  const nu = options.nu ?? 0.05;
  const rng = new ModelRng(options.seed);
  const sub = transform(scaler, takeRows(x, rng.sample(x.rows, options.maxRows ?? 3000)));
  const gamma = Math.fround(options.gamma ?? medianHeuristic(sub, rng));
  const l = sub.rows;
  const solved = solveOneClass(Float64Array.from(sub.data), l, sub.dims, { nu, gamma });
  let total = 0;
  for (const a of solved.alpha) total += a;
  const supportVectors: number[][] = [];
  const alpha: number[] = [];
  for (let i = 0; i < l; i++) {
    const a = solved.alpha[i]!;
    if (a > 1e-9 * total) {
      supportVectors.push(Array.from(sub.data.subarray(i * sub.dims, (i + 1) * sub.dims)));
      alpha.push(Math.fround(a / total));
    }
  }
  return {
    dims: x.dims,
    scaler,
    nu,
    gamma,
    rho: Math.fround(solved.rho / total),
    supportVectors,
    alpha,
    trainRows: l,
    iterations: solved.iterations,
  };
}

export class OneClassSvm implements AnomalyDetector<OcsvmParams> {
  readonly name = 'ocsvm' as const;
  private readonly sv: Float64Array;

  constructor(readonly params: OcsvmParams) {
    this.sv = Float64Array.from(params.supportVectors.flat());
  }

  score(x: Matrix): Float32Array {
    assertMatrix(x, this.params.dims, 'one-class SVM');
    const { scaler, gamma, alpha, rho } = this.params;
    const d = scaler.columns.length;
    const z = new Float64Array(d);
    const out = new Float32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      transformRow(scaler, x, i, z);
      let dec = 0;
      for (let s = 0; s < alpha.length; s++) {
        let d2 = 0;
        for (let k = 0; k < d; k++) {
          const diff = z[k]! - this.sv[s * d + k]!;
          d2 += diff * diff;
        }
        dec += alpha[s]! * Math.exp(-gamma * d2);
      }
      out[i] = rho - dec;
    }
    return out;
  }

  toOnnx(meta: ModelMeta): Uint8Array {
    const { scaler, gamma, alpha, rho, dims } = this.params;
    const g = new GraphBuilder('ocsvm');
    const x = g.input('X', 'float', ['N', dims]);
    const z = scalerToOnnx(g, x, scaler);
    const d2 = squaredDistancesFast(g, z, {
      data: Float32Array.from(this.sv),
      m: alpha.length,
      d: scaler.columns.length,
    });
    const k = g.op('Exp', [g.op('Mul', [d2, g.constant(new Float32Array([-gamma]), [])])]);
    const dec = g.op('MatMul', [k, g.constant(Float32Array.from(alpha), [alpha.length, 1])]);
    const score = g.op('Sub', [g.constant(new Float32Array([rho]), []), dec]);
    g.output(g.op('Reshape', [score, g.constant(new BigInt64Array([-1n]), [1])]), 'float', ['N'], 'score');
    return g.toBytes({ opset: 18, metadata: modelMetadata(meta), docString: 'one-class SVM, RBF kernel' });
  }
}
