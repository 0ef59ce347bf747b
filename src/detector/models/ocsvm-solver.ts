/**
 * A one-class SVM solver (Schölkopf et al. 2001, ν formulation) by sequential minimal optimisation
 * with libsvm's second-order working-set selection (Fan, Chen & Lin 2005), without shrinking:
 *
 *   min ½ αᵀQα   s.t. 0 ≤ αᵢ ≤ 1, Σαᵢ = ν·l,   Qᵢⱼ = exp(−γ‖xᵢ − xⱼ‖²)
 *
 * Decision value f(x) = Σ αᵢ K(xᵢ, x) − ρ (≥ 0 inside the learnt support). The kernel matrix is
 * computed once in float32 (libsvm's kernel cache is float too), so `l` is kept to a few thousand
 * rows by the caller. Written here rather than taken from libsvm-js to get decision values and ρ
 * directly, with no WASM module and no text model format to parse.
 */

export interface SolverResult {
  alpha: Float64Array;
  rho: number;
  iterations: number;
}

export interface SolverOptions {
  nu: number;
  gamma: number;
  /** Stopping tolerance on the KKT gap (libsvm's default 1e-3). */
  eps?: number;
  maxIterations?: number;
}

const TAU = 1e-12;

/** Upper triangle is enough, but a full matrix keeps row access contiguous. */
export function rbfKernelMatrix(points: Float64Array, l: number, d: number, gamma: number): Float32Array {
  const q = new Float32Array(l * l);
  for (let i = 0; i < l; i++) {
    q[i * l + i] = 1;
    for (let j = i + 1; j < l; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = points[i * d + k]! - points[j * d + k]!;
        s += diff * diff;
      }
      const v = Math.exp(-gamma * s);
      q[i * l + j] = v;
      q[j * l + i] = v;
    }
  }
  return q;
}

export function solveOneClass(
  points: Float64Array,
  l: number,
  d: number,
  options: SolverOptions,
): SolverResult {
  const { nu, gamma } = options;
  const eps = options.eps ?? 1e-3;
  const maxIterations = options.maxIterations ?? Math.max(10_000_000, 100 * l);
  const q = rbfKernelMatrix(points, l, d, gamma);
  const alpha = new Float64Array(l);
  // libsvm's feasible start: the first ⌊νl⌋ at the bound, one fractional, the rest 0.
  const total = nu * l;
  const whole = Math.min(l, Math.floor(total));
  for (let i = 0; i < whole; i++) alpha[i] = 1;
  if (whole < l) alpha[whole] = total - whole;
  const grad = new Float64Array(l);
  for (let i = 0; i < l; i++) {
    if (alpha[i] === 0) continue;
    const a = alpha[i]!;
    for (let t = 0; t < l; t++) grad[t] = grad[t]! + a * q[i * l + t]!;
  }

  let iterations = 0;
  while (iterations < maxIterations) {
    // i: the steepest ascent among variables that can still grow.
    let gmax = -Infinity;
    let i = -1;
    for (let t = 0; t < l; t++) {
      if (alpha[t]! < 1 && -grad[t]! >= gmax) {
        gmax = -grad[t]!;
        i = t;
      }
    }
    if (i < 0) break;
    // j: among variables that can shrink, the one whose pairing with i decreases the objective most.
    let gmax2 = -Infinity;
    let j = -1;
    let objMin = Infinity;
    const qi = i * l;
    const qii = q[qi + i]!;
    for (let t = 0; t < l; t++) {
      if (!(alpha[t]! > 0)) continue;
      const gt = grad[t]!;
      if (gt >= gmax2) gmax2 = gt;
      const diff = gmax + gt;
      if (diff > 0) {
        let quad = qii + q[t * l + t]! - 2 * q[qi + t]!;
        if (quad <= 0) quad = TAU;
        const obj = -(diff * diff) / quad;
        if (obj <= objMin) {
          objMin = obj;
          j = t;
        }
      }
    }
    if (gmax + gmax2 < eps || j < 0) break;
    iterations++;

    const qj = j * l;
    let quad = qii + q[qj + j]! - 2 * q[qi + j]!;
    if (quad <= 0) quad = TAU;
    const oldI = alpha[i]!;
    const oldJ = alpha[j]!;
    const delta = (grad[i]! - grad[j]!) / quad;
    const sum = oldI + oldJ;
    let ai = oldI - delta;
    let aj = oldJ + delta;
    // Clip to the box while keeping αi + αj fixed (both bounds are 1).
    if (sum > 1) {
      if (ai > 1) {
        ai = 1;
        aj = sum - 1;
      }
      if (aj > 1) {
        aj = 1;
        ai = sum - 1;
      }
    } else {
      if (aj < 0) {
        aj = 0;
        ai = sum;
      }
      if (ai < 0) {
        ai = 0;
        aj = sum;
      }
    }
    alpha[i] = ai;
    alpha[j] = aj;
    const di = ai - oldI;
    const dj = aj - oldJ;
    for (let t = 0; t < l; t++) grad[t] = grad[t]! + q[qi + t]! * di + q[qj + t]! * dj;
  }
  return { alpha, rho: computeRho(alpha, grad), iterations };
}

/** ρ: the mean gradient of the free variables, else the middle of the feasible interval. */
function computeRho(alpha: Float64Array, grad: Float64Array): number {
  let ub = Infinity;
  let lb = -Infinity;
  let free = 0;
  let sumFree = 0;
  for (let t = 0; t < alpha.length; t++) {
    const a = alpha[t]!;
    const g = grad[t]!;
    if (a >= 1) lb = Math.max(lb, g);
    else if (a <= 0) ub = Math.min(ub, g);
    else {
      free++;
      sumFree += g;
    }
  }
  return free > 0 ? sumFree / free : (ub + lb) / 2;
}
