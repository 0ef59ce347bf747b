/**
 * Distance building blocks for the exporters that compare rows with stored points (support
 * vectors, centroids, core points). Three forms, chosen per model by how many points it keeps
 * and how exact the result must be near zero:
 *
 * - `squaredDistancesFast`: ‖x‖² − 2x·p + ‖p‖² with one MatMul — fast for hundreds of points, but
 *   float32 cancellation makes tiny distances inexact (fine inside exp(−γ·d²)).
 * - `squaredDistancesExact`: broadcast (x − p)² — exact, memory N·M·D, for a handful of points.
 * - `nearestDistanceExact`: the fast form picks the `k` nearest candidates, then their distances
 *   are recomputed exactly, so the minimum distance is exact even for a row sitting on a point.
 */
import { attr, type GraphBuilder } from './builder.js';

/** Points as a row-major [m, d] float32 array. */
export interface Points {
  data: Float32Array;
  m: number;
  d: number;
}

function transpose(p: Points): Float32Array {
  const t = new Float32Array(p.m * p.d);
  for (let i = 0; i < p.m; i++) for (let k = 0; k < p.d; k++) t[k * p.m + i] = p.data[i * p.d + k]!;
  return t;
}

/** [N, m] squared distances of `x` [N, d] to every point, by the MatMul expansion, clamped at 0. */
export function squaredDistancesFast(g: GraphBuilder, x: string, p: Points): string {
  const norms = new Float32Array(p.m);
  for (let i = 0; i < p.m; i++) {
    let s = 0;
    for (let k = 0; k < p.d; k++) s += p.data[i * p.d + k]! ** 2;
    norms[i] = s;
  }
  const axis1 = g.constant(new BigInt64Array([1n]), [1]);
  const xNorm = g.op('ReduceSum', [g.op('Mul', [x, x]), axis1], { keepdims: attr.int(1) });
  const dot = g.op('MatMul', [x, g.constant(transpose(p), [p.d, p.m])]);
  const cross = g.op('Mul', [dot, g.constant(new Float32Array([-2]), [])]);
  const d2 = g.op('Add', [g.op('Add', [cross, xNorm]), g.constant(norms, [1, p.m])]);
  return g.op('Max', [d2, g.constant(new Float32Array([0]), [])]);
}

/** [N, m] squared distances by broadcasting (x[N,1,d] − p[1,m,d])², summed over d. */
export function squaredDistancesExact(g: GraphBuilder, x: string, p: Points): string {
  const x3 = g.op('Unsqueeze', [x, g.constant(new BigInt64Array([1n]), [1])]);
  const diff = g.op('Sub', [x3, g.constant(p.data, [1, p.m, p.d])]);
  return g.op('ReduceSum', [g.op('Mul', [diff, diff]), g.constant(new BigInt64Array([2n]), [1])], {
    keepdims: attr.int(0),
  });
}

/**
 * [N] exact Euclidean distance to the nearest point: TopK(k) smallest by the fast form, then the
 * candidates' distances recomputed by broadcasting. A wrong candidate can only be chosen when
 * several points are within float32 error of each other, and then any of them is as near.
 */
export function nearestDistanceExact(g: GraphBuilder, x: string, p: Points, k = 4): string {
  const kk = Math.min(k, p.m);
  const approx = squaredDistancesFast(g, x, p);
  const [, idx] = g.node(
    'TopK',
    [approx, g.constant(new BigInt64Array([BigInt(kk)]), [1])],
    {
      axis: attr.int(1),
      largest: attr.int(0),
      sorted: attr.int(0),
    },
    { outputs: 2 },
  );
  const cand = g.op('Gather', [g.constant(p.data, [p.m, p.d]), idx!], { axis: attr.int(0) }); // [N, k, d]
  const x3 = g.op('Unsqueeze', [x, g.constant(new BigInt64Array([1n]), [1])]);
  const diff = g.op('Sub', [x3, cand]);
  const d2 = g.op('ReduceSum', [g.op('Mul', [diff, diff]), g.constant(new BigInt64Array([2n]), [1])], {
    keepdims: attr.int(0),
  });
  const min = g.op('ReduceMin', [d2, g.constant(new BigInt64Array([1n]), [1])], { keepdims: attr.int(0) });
  return g.op('Sqrt', [min]);
}
