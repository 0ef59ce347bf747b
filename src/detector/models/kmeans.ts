/**
 * K-means on behaviour profiles: each row is an entity's behaviour in one window, robustly scaled.
 * Clusters are the kinds of behaviour seen in training (DNS clients, web clients, servers …).
 * Score = Euclidean distance to the nearest centroid (how unlike any known kind of behaviour);
 * the assigned cluster is an output too, so the caller can notice an entity that switches to a
 * kind of behaviour it does not usually have (`clusterChange`).
 *
 * Training: k-means++ seeding and Lloyd iterations on a random subsample, a few seeded restarts,
 * the lowest inertia wins. Export: scaler → exact broadcast distances to the K centroids →
 * ArgMin (`cluster`, int64) and Sqrt(ReduceMin) (`score`).
 */
import { ForesightError } from '../../errors.js';
import { assertMatrix, takeRows } from './matrix.js';
import { GraphBuilder, attr } from './onnx/builder.js';
import { squaredDistancesExact } from './onnx/distance.js';
import { modelMetadata } from './onnx/meta.js';
import { ModelRng } from './random.js';
import { scalerToOnnx, transform, transformRow, type ScalerParams } from './scaler.js';
import type { AnomalyDetector, Matrix, ModelMeta } from './types.js';

export interface KMeansParams {
  dims: number;
  scaler: ScalerParams;
  /** Centroids in scaled space (float32-exact). */
  centroids: number[][];
  /** Share of training rows in each cluster. */
  sizes: number[];
  inertia: number;
  iterations: number;
}

export interface KMeansOptions {
  seed: number;
  k?: number;
  /** Subsample the iterations run on (default 20000). */
  maxRows?: number;
  restarts?: number;
  maxIterations?: number;
}

function sqDist(a: ArrayLike<number>, ai: number, b: ArrayLike<number>, bi: number, d: number): number {
  let s = 0;
  for (let k = 0; k < d; k++) {
    const diff = a[ai + k]! - b[bi + k]!;
    s += diff * diff;
  }
  return s;
}

/** k-means++: each next centre drawn with probability ∝ squared distance to the nearest chosen one. */
function seedCentres(z: Matrix, k: number, rng: ModelRng): Float64Array {
  const d = z.dims;
  const c = new Float64Array(k * d);
  const nearest = new Float64Array(z.rows).fill(Infinity);
  let pick = rng.int(z.rows);
  for (let m = 0; m < k; m++) {
    for (let j = 0; j < d; j++) c[m * d + j] = z.data[pick * d + j]!;
    let total = 0;
    for (let i = 0; i < z.rows; i++) {
      const s = sqDist(z.data, i * d, c, m * d, d);
      if (s < nearest[i]!) nearest[i] = s;
      total += nearest[i]!;
    }
    if (total <= 0) {
      pick = rng.int(z.rows);
      continue;
    }
    let r = rng.next() * total;
    pick = z.rows - 1;
    for (let i = 0; i < z.rows; i++) {
      r -= nearest[i]!;
      if (r < 0) {
        pick = i;
        break;
      }
    }
  }
  return c;
}

function lloyd(z: Matrix, c: Float64Array, k: number, maxIterations: number) {
  const d = z.dims;
  const assign = new Int32Array(z.rows).fill(-1);
  const dist = new Float64Array(z.rows);
  let iterations = 0;
  let inertia = 0;
  for (; iterations < maxIterations; iterations++) {
    let changed = 0;
    inertia = 0;
    for (let i = 0; i < z.rows; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let m = 0; m < k; m++) {
        const s = sqDist(z.data, i * d, c, m * d, d);
        if (s < bestD) {
          bestD = s;
          best = m;
        }
      }
      if (assign[i] !== best) changed++;
      assign[i] = best;
      dist[i] = bestD;
      inertia += bestD;
    }
    if (changed === 0) break;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < z.rows; i++) {
      const m = assign[i]!;
      counts[m] = counts[m]! + 1;
      for (let j = 0; j < d; j++) sums[m * d + j] = sums[m * d + j]! + z.data[i * d + j]!;
    }
    for (let m = 0; m < k; m++) {
      if (counts[m]! > 0) {
        for (let j = 0; j < d; j++) c[m * d + j] = sums[m * d + j]! / counts[m]!;
        continue;
      }
      // An empty cluster takes the row farthest from its centre.
      let far = 0;
      for (let i = 1; i < z.rows; i++) if (dist[i]! > dist[far]!) far = i;
      for (let j = 0; j < d; j++) c[m * d + j] = z.data[far * d + j]!;
      dist[far] = 0;
    }
  }
  return { assign, inertia, iterations };
}

export function trainKMeans(x: Matrix, scaler: ScalerParams, options: KMeansOptions): KMeansParams {
  const k = Math.min(options.k ?? 8, x.rows);
  if (k < 1) throw new ForesightError('training-too-few-rows', 'k-means needs at least one row');
  const rng = new ModelRng(options.seed);
  const z = transform(scaler, takeRows(x, rng.sample(x.rows, options.maxRows ?? 20_000)));
  let best: { c: Float64Array; assign: Int32Array; inertia: number; iterations: number } | undefined;
  for (let r = 0; r < (options.restarts ?? 3); r++) {
    const c = seedCentres(z, k, rng.fork(r));
    const run = lloyd(z, c, k, options.maxIterations ?? 100);
    if (!best || run.inertia < best.inertia) best = { c, ...run };
  }
  const { c, assign, inertia, iterations } = best!;
  const d = z.dims;
  const sizes = new Array<number>(k).fill(0);
  for (const m of assign) sizes[m]! += 1 / z.rows;
  return {
    dims: x.dims,
    scaler,
    centroids: Array.from({ length: k }, (_, m) => Array.from(c.subarray(m * d, (m + 1) * d), Math.fround)),
    sizes,
    inertia: inertia / z.rows,
    iterations,
  };
}

export class KMeans implements AnomalyDetector<KMeansParams> {
  readonly name = 'kmeans' as const;
  private readonly c: Float64Array;

  constructor(readonly params: KMeansParams) {
    this.c = Float64Array.from(params.centroids.flat());
  }

  /** Distance to the nearest centroid and that centroid's index, per row. */
  assign(x: Matrix): { score: Float32Array; cluster: Int32Array } {
    assertMatrix(x, this.params.dims, 'k-means');
    const d = this.params.scaler.columns.length;
    const k = this.params.centroids.length;
    const z = new Float64Array(d);
    const score = new Float32Array(x.rows);
    const cluster = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      transformRow(this.params.scaler, x, i, z);
      let best = 0;
      let bestD = Infinity;
      for (let m = 0; m < k; m++) {
        const s = sqDist(z, 0, this.c, m * d, d);
        if (s < bestD) {
          bestD = s;
          best = m;
        }
      }
      score[i] = Math.sqrt(bestD);
      cluster[i] = best;
    }
    return { score, cluster };
  }

  score(x: Matrix): Float32Array {
    return this.assign(x).score;
  }

  toOnnx(meta: ModelMeta): Uint8Array {
    const { scaler, centroids, dims } = this.params;
    const g = new GraphBuilder('kmeans');
    const x = g.input('X', 'float', ['N', dims]);
    const z = scalerToOnnx(g, x, scaler);
    const d2 = squaredDistancesExact(g, z, {
      data: Float32Array.from(this.c),
      m: centroids.length,
      d: scaler.columns.length,
    });
    const axis = g.constant(new BigInt64Array([1n]), [1]);
    const min = g.op('ReduceMin', [d2, axis], { keepdims: attr.int(0) });
    g.output(g.op('Sqrt', [min]), 'float', ['N'], 'score');
    g.output(g.op('ArgMin', [d2], { axis: attr.int(1), keepdims: attr.int(0) }), 'int64', ['N'], 'cluster');
    return g.toBytes({
      opset: 18,
      metadata: modelMetadata(meta),
      docString: 'k-means, distance to nearest centroid',
    });
  }
}

export interface ClusterChange {
  /** The cluster the entity is usually in, when its history says so clearly enough. */
  usual?: number;
  /** Share of the history in the usual cluster. */
  share: number;
  changed: boolean;
}

/**
 * Has an entity left its usual kind of behaviour? `history` holds the clusters of its past
 * windows. With fewer than `minHistory` windows, or no cluster holding `minShare` of them, there is
 * no usual cluster and nothing counts as a change.
 */
export function clusterChange(
  history: readonly number[],
  current: number,
  options: { minHistory?: number; minShare?: number } = {},
): ClusterChange {
  const counts = new Map<number, number>();
  for (const c of history) counts.set(c, (counts.get(c) ?? 0) + 1);
  let usual: number | undefined;
  let most = 0;
  for (const [c, n] of [...counts].sort((a, b) => a[0] - b[0])) {
    if (n > most) {
      most = n;
      usual = c;
    }
  }
  const share = history.length > 0 ? most / history.length : 0;
  if (
    history.length < (options.minHistory ?? 10) ||
    share < (options.minShare ?? 0.6) ||
    usual === undefined
  ) {
    return { share, changed: false };
  }
  return { usual, share, changed: current !== usual };
}
