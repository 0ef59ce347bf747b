/**
 * Isolation forest (Liu, Ting & Zhou 2008): trees grown on small random subsamples by splitting a
 * random feature at a random value; anomalies are isolated in few splits. Score of a row =
 * 2^(−E[h(x)] / c(ψ)), where h is the path length to the leaf plus c(leaf size) for the part of the
 * tree the depth limit cut off, and c(n) is the average path length of an unsuccessful search in a
 * binary search tree of n points. Scores near 1 are anomalies; near 0.5 or below are normal.
 *
 * Export: one ai.onnx.ml 5 `TreeEnsemble` whose leaves carry the adjusted path length, averaged
 * over trees, then the 2^(−h/c) transform in plain ops. Thresholds are float32-exact (Math.fround)
 * and strictly above the node's minimum (both sides get rows), so TypeScript and onnxruntime branch alike.
 */
import { ForesightError } from '../../errors.js';
import { assertMatrix } from './matrix.js';
import { GraphBuilder, ML_DOMAIN, attr, tensor } from './onnx/builder.js';
import { modelMetadata } from './onnx/meta.js';
import { ModelRng } from './random.js';
import type { AnomalyDetector, Matrix, ModelMeta } from './types.js';

/** One tree in preorder. `feature[i] < 0` marks a leaf, whose `value` is its adjusted path length. */
export interface IsolationTree {
  feature: number[];
  threshold: number[];
  left: number[];
  right: number[];
  value: number[];
}

export interface IsolationForestParams {
  dims: number;
  sampleSize: number;
  /** c(sampleSize): the normaliser of the mean path length. */
  norm: number;
  trees: IsolationTree[];
}

export interface IsolationForestOptions {
  seed: number;
  trees?: number;
  sampleSize?: number;
  /** Default ⌈log2 sampleSize⌉, as in the paper. */
  maxDepth?: number;
  /** Feature indices trees may split on (default all). */
  columns?: readonly number[];
}

const EULER = 0.5772156649015329;

/** Average path length of an unsuccessful BST search among n points. */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * (Math.log(n - 1) + EULER) - (2 * (n - 1)) / n;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
/** The next float32 above a (finite, float32-exact) value. */
function nextFloat32Up(v: number): number {
  if (v === 0) return 1.401298464324817e-45;
  f32[0] = v;
  u32[0] = v > 0 ? u32[0]! + 1 : u32[0]! - 1;
  return f32[0];
}

interface Builder {
  x: Matrix;
  idx: Uint32Array;
  columns: readonly number[];
  maxDepth: number;
  rng: ModelRng;
  tree: IsolationTree;
}

function grow(b: Builder, from: number, to: number, depth: number): number {
  const { x, idx, tree } = b;
  const node = tree.feature.length;
  tree.feature.push(-1);
  tree.threshold.push(0);
  tree.left.push(-1);
  tree.right.push(-1);
  tree.value.push(0);
  const size = to - from;
  const leaf = () => {
    tree.value[node] = Math.fround(depth + averagePathLength(size));
    return node;
  };
  if (depth >= b.maxDepth || size <= 1) return leaf();
  // Draw features without replacement until one is not constant in this node.
  const candidates = [...b.columns];
  while (candidates.length > 0) {
    const pick = b.rng.int(candidates.length);
    const j = candidates[pick]!;
    candidates[pick] = candidates[candidates.length - 1]!;
    candidates.pop();
    let lo = Infinity;
    let hi = -Infinity;
    for (let k = from; k < to; k++) {
      const v = x.data[idx[k]! * x.dims + j]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!(hi > lo)) continue;
    let t = Math.fround(b.rng.uniform(lo, hi));
    if (t <= lo) t = nextFloat32Up(lo);
    // Partition idx[from, to) into < t | ≥ t.
    let mid = from;
    for (let k = from; k < to; k++) {
      const r = idx[k]!;
      if (x.data[r * x.dims + j]! < t) {
        idx[k] = idx[mid]!;
        idx[mid++] = r;
      }
    }
    tree.feature[node] = j;
    tree.threshold[node] = t;
    tree.left[node] = grow(b, from, mid, depth + 1);
    tree.right[node] = grow(b, mid, to, depth + 1);
    return node;
  }
  return leaf();
}

export function trainIsolationForest(x: Matrix, options: IsolationForestOptions): IsolationForestParams {
  if (x.rows < 2)
    throw new ForesightError('training-too-few-rows', `isolation forest needs ≥ 2 rows, got ${x.rows}`);
  const nTrees = options.trees ?? 100;
  const sampleSize = Math.min(options.sampleSize ?? 256, x.rows);
  const maxDepth = options.maxDepth ?? Math.ceil(Math.log2(Math.max(2, sampleSize)));
  const columns = options.columns ?? Array.from({ length: x.dims }, (_, j) => j);
  const rng = new ModelRng(options.seed);
  const trees: IsolationTree[] = [];
  for (let t = 0; t < nTrees; t++) {
    const tree: IsolationTree = { feature: [], threshold: [], left: [], right: [], value: [] };
    const idx = rng.sample(x.rows, sampleSize);
    grow({ x, idx, columns, maxDepth, rng: rng.fork(t), tree }, 0, idx.length, 0);
    trees.push(tree);
  }
  return { dims: x.dims, sampleSize, norm: averagePathLength(sampleSize), trees };
}

export class IsolationForest implements AnomalyDetector<IsolationForestParams> {
  readonly name = 'isolation-forest' as const;

  constructor(readonly params: IsolationForestParams) {}

  score(x: Matrix): Float32Array {
    assertMatrix(x, this.params.dims, 'isolation forest');
    const { trees, norm } = this.params;
    const out = new Float32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      const base = i * x.dims;
      let sum = 0;
      for (const t of trees) {
        let n = 0;
        let f = t.feature[0]!;
        while (f >= 0) {
          n = x.data[base + f]! < t.threshold[n]! ? t.left[n]! : t.right[n]!;
          f = t.feature[n]!;
        }
        sum += t.value[n]!;
      }
      out[i] = Math.pow(2, -sum / trees.length / norm);
    }
    return out;
  }

  toOnnx(meta: ModelMeta): Uint8Array {
    const { trees, norm, dims } = this.params;
    const g = new GraphBuilder('isolation_forest');
    const x = g.input('X', 'float', ['N', dims]);
    const n = {
      featureids: [] as number[],
      splits: [] as number[],
      trueids: [] as number[],
      trueleafs: [] as number[],
      falseids: [] as number[],
      falseleafs: [] as number[],
    };
    const leafWeights: number[] = [];
    const roots: number[] = [];
    // TreeEnsemble keeps interior nodes and leaves in separate lists; children point into one or the other.
    const ref = (t: IsolationTree, i: number, ids: Map<number, number>, leafIds: Map<number, number>) =>
      t.feature[i]! < 0 ? { id: leafIds.get(i)!, leaf: 1 } : { id: ids.get(i)!, leaf: 0 };
    for (const t of trees) {
      const ids = new Map<number, number>();
      const leafIds = new Map<number, number>();
      t.feature.forEach((f, i) => {
        if (f >= 0) ids.set(i, n.featureids.length + ids.size);
        else {
          leafIds.set(i, leafWeights.length);
          leafWeights.push(t.value[i]!);
        }
      });
      roots.push(n.featureids.length);
      if (ids.size === 0) {
        // A single-leaf tree: a split whose both sides are that leaf.
        const leaf = leafIds.get(0)!;
        n.featureids.push(0);
        n.splits.push(0);
        n.trueids.push(leaf);
        n.trueleafs.push(1);
        n.falseids.push(leaf);
        n.falseleafs.push(1);
        continue;
      }
      t.feature.forEach((f, i) => {
        if (f < 0) return;
        const l = ref(t, t.left[i]!, ids, leafIds);
        const r = ref(t, t.right[i]!, ids, leafIds);
        n.featureids.push(f);
        n.splits.push(t.threshold[i]!);
        n.trueids.push(l.id);
        n.trueleafs.push(l.leaf);
        n.falseids.push(r.id);
        n.falseleafs.push(r.leaf);
      });
    }
    const count = n.featureids.length;
    const [h] = g.node(
      'TreeEnsemble',
      [x],
      {
        aggregate_function: attr.int(0), // AVERAGE
        post_transform: attr.int(0),
        n_targets: attr.int(1),
        tree_roots: attr.ints(roots),
        nodes_featureids: attr.ints(n.featureids),
        nodes_splits: attr.tensor(tensor('nodes_splits', Float32Array.from(n.splits), [count])),
        nodes_modes: attr.tensor(tensor('nodes_modes', new Uint8Array(count).fill(1), [count])), // BRANCH_LT
        nodes_truenodeids: attr.ints(n.trueids),
        nodes_trueleafs: attr.ints(n.trueleafs),
        nodes_falsenodeids: attr.ints(n.falseids),
        nodes_falseleafs: attr.ints(n.falseleafs),
        leaf_targetids: attr.ints(new Array<number>(leafWeights.length).fill(0)),
        leaf_weights: attr.tensor(
          tensor('leaf_weights', Float32Array.from(leafWeights), [leafWeights.length]),
        ),
      },
      { domain: ML_DOMAIN },
    );
    // 2^(−h/c) = exp(−h·ln2/c)
    const scaled = g.op('Mul', [h!, g.constant(new Float32Array([-Math.LN2 / norm]), [])]);
    const flat = g.op('Reshape', [g.op('Exp', [scaled]), g.constant(new BigInt64Array([-1n]), [1])]);
    g.output(flat, 'float', ['N'], 'score');
    return g.toBytes({ opset: 18, mlOpset: 5, metadata: modelMetadata(meta), docString: 'isolation forest' });
  }
}
