/**
 * DBSCAN (Ester et al. 1996) on a random subsample of robustly scaled rows. A point with at least
 * `minPts` points (itself included) within `eps` is a core point; clusters are core points chained
 * within eps plus the points they reach; everything else is noise, which is what is suspicious.
 *
 * eps comes from the k-distance heuristic: sort every point's distance to its minPts-th nearest
 * neighbour and take the knee of that curve (the point farthest from the chord between its ends),
 * kept between the 90th and 99th percentiles so a curve without a clear knee still gives a sane
 * eps. O(n²) distances on ≤ 3000 rows.
 *
 * Scoring a new row: its distance to the nearest core point minus eps (> 0: it would be noise).
 * Core points are thinned before they are stored: one is dropped when a kept core point lies
 * within eps/4 of it (so scores move by at most eps/4), then capped by a random subsample.
 * Export: scaler → TopK candidates by the fast distance form → exact distance → − eps.
 */
import { ForesightError } from '../../errors.js';
import { assertMatrix, takeRows } from './matrix.js';
import { GraphBuilder } from './onnx/builder.js';
import { nearestDistanceExact } from './onnx/distance.js';
import { modelMetadata } from './onnx/meta.js';
import { ModelRng } from './random.js';
import { quantileSorted, scalerToOnnx, transform, transformRow, type ScalerParams } from './scaler.js';
import type { AnomalyDetector, Matrix, ModelMeta } from './types.js';

export interface DbscanParams {
  dims: number;
  scaler: ScalerParams;
  eps: number;
  minPts: number;
  /** Stored core points in scaled space (float32-exact). */
  corePoints: number[][];
  /** Facts of the clustering of the training subsample. */
  clusters: number;
  noiseShare: number;
  coreShare: number;
  trainRows: number;
}

export interface DbscanOptions {
  seed: number;
  minPts?: number;
  /** Subsample size (default 3000). */
  maxRows?: number;
  /** Most core points kept for scoring (default 1000). */
  maxCorePoints?: number;
  /** Fixed eps; default the k-distance knee. */
  eps?: number;
}

function pairwise(z: Matrix): Float32Array {
  const n = z.rows;
  const d = z.dims;
  const out = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (z.data[i * d + k]! - z.data[j * d + k]!) ** 2;
      const v = Math.sqrt(s);
      out[i * n + j] = v;
      out[j * n + i] = v;
    }
  }
  return out;
}

/** The knee of the ascending k-distance curve, clamped to [q90, q99]. */
export function kneeEps(kDistances: Float64Array): number {
  const s = Float64Array.from(kDistances).sort();
  const n = s.length;
  const lo = quantileSorted(s, 0.9);
  const hi = quantileSorted(s, 0.99);
  let knee = hi;
  if (n >= 3 && s[n - 1]! > s[0]!) {
    // Normalised curve; the knee is the point farthest below the chord from first to last.
    const y0 = s[0]!;
    const yr = s[n - 1]! - y0;
    let best = -Infinity;
    for (let i = 0; i < n; i++) {
      const gap = i / (n - 1) - (s[i]! - y0) / yr;
      if (gap > best) {
        best = gap;
        knee = s[i]!;
      }
    }
  }
  const eps = Math.min(hi, Math.max(lo, knee));
  return eps > 0 ? eps : Math.max(hi, 1e-3);
}

export function trainDbscan(x: Matrix, scaler: ScalerParams, options: DbscanOptions): DbscanParams {
  if (x.rows < 2) throw new ForesightError('training-too-few-rows', `DBSCAN needs ≥ 2 rows, got ${x.rows}`);
  const rng = new ModelRng(options.seed);
  const z = transform(scaler, takeRows(x, rng.sample(x.rows, options.maxRows ?? 3000)));
  const n = z.rows;
  const minPts = Math.min(options.minPts ?? 10, n);
  const dist = pairwise(z);
  const kth = new Float64Array(n);
  const row = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    row.set(dist.subarray(i * n, (i + 1) * n));
    // The point itself (distance 0) counts as the first of its minPts neighbours.
    kth[i] = row.sort()[minPts - 1]!;
  }
  const eps = Math.fround(options.eps ?? kneeEps(kth));
  const core = new Uint8Array(n);
  for (let i = 0; i < n; i++) core[i] = kth[i]! <= eps ? 1 : 0;

  // Cluster expansion from core points (breadth-first), for the facts stored with the model.
  const label = new Int32Array(n).fill(-1);
  let clusters = 0;
  for (let i = 0; i < n; i++) {
    if (!core[i] || label[i]! >= 0) continue;
    const queue = [i];
    label[i] = clusters;
    while (queue.length > 0) {
      const p = queue.pop()!;
      if (!core[p]) continue;
      for (let q = 0; q < n; q++) {
        if (label[q]! < 0 && dist[p * n + q]! <= eps) {
          label[q] = clusters;
          queue.push(q);
        }
      }
    }
    clusters++;
  }
  let noise = 0;
  for (const l of label) if (l < 0) noise++;

  // Thin the core points (see header), visiting them in random order.
  const coreIdx = Array.from({ length: n }, (_, i) => i).filter((i) => core[i]);
  const order = coreIdx.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const kept: number[] = [];
  for (const o of order) {
    const p = coreIdx[o]!;
    if (!kept.some((q) => dist[p * n + q]! <= eps / 4)) kept.push(p);
  }
  const cap = options.maxCorePoints ?? 1000;
  const stored = kept.length > cap ? Array.from(rng.sample(kept.length, cap), (i) => kept[i]!) : kept;
  if (stored.length === 0) throw new ForesightError('training-degenerate', 'DBSCAN found no core points');
  stored.sort((a, b) => a - b);
  return {
    dims: x.dims,
    scaler,
    eps,
    minPts,
    corePoints: stored.map((p) => Array.from(z.data.subarray(p * z.dims, (p + 1) * z.dims))),
    clusters,
    noiseShare: noise / n,
    coreShare: coreIdx.length / n,
    trainRows: n,
  };
}

export class Dbscan implements AnomalyDetector<DbscanParams> {
  readonly name = 'dbscan' as const;
  private readonly core: Float64Array;

  constructor(readonly params: DbscanParams) {
    this.core = Float64Array.from(params.corePoints.flat());
  }

  score(x: Matrix): Float32Array {
    assertMatrix(x, this.params.dims, 'DBSCAN');
    const { scaler, eps, corePoints } = this.params;
    const d = scaler.columns.length;
    const z = new Float64Array(d);
    const out = new Float32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      transformRow(scaler, x, i, z);
      let best = Infinity;
      for (let c = 0; c < corePoints.length; c++) {
        let s = 0;
        for (let k = 0; k < d && s < best; k++) {
          const diff = z[k]! - this.core[c * d + k]!;
          s += diff * diff;
        }
        if (s < best) best = s;
      }
      out[i] = Math.sqrt(best) - eps;
    }
    return out;
  }

  toOnnx(meta: ModelMeta): Uint8Array {
    const { scaler, eps, corePoints, dims } = this.params;
    const g = new GraphBuilder('dbscan');
    const x = g.input('X', 'float', ['N', dims]);
    const z = scalerToOnnx(g, x, scaler);
    const near = nearestDistanceExact(g, z, {
      data: Float32Array.from(this.core),
      m: corePoints.length,
      d: scaler.columns.length,
    });
    g.output(g.op('Sub', [near, g.constant(new Float32Array([eps]), [])]), 'float', ['N'], 'score');
    return g.toBytes({
      opset: 18,
      metadata: modelMetadata(meta),
      docString: 'DBSCAN, distance to nearest core point − eps',
    });
  }
}
