/**
 * The models' only source of randomness: a seeded PRNG (mulberry32) plus the few draws training
 * needs (uniform, integer, subsample without replacement). A seed fully determines every trained
 * model, so a retrain on the same rows with the same seed gives byte-identical ONNX.
 */

export class ModelRng {
  private state: number;

  constructor(seed: number) {
    // Spread small seeds (0, 1, 2 …) so that neighbouring seeds give unrelated streams.
    this.state = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }

  /** A derived, independent stream (one per tree, per restart …). */
  fork(salt: number): ModelRng {
    return new ModelRng(Math.imul(this.int(0x7fffffff) ^ salt, 0x27d4eb2d));
  }

  /**
   * `k` distinct indices from [0, n), in ascending order (all of them when k ≥ n). Small samples
   * of large ranges (isolation-forest trees: 256 of 100k) use Floyd's algorithm, O(k); larger ones
   * a partial Fisher–Yates over an index array.
   */
  sample(n: number, k: number): Uint32Array {
    if (k >= n) return Uint32Array.from({ length: n }, (_, i) => i);
    if (k * 16 < n) {
      const chosen = new Set<number>();
      for (let j = n - k; j < n; j++) {
        const t = this.int(j + 1);
        chosen.add(chosen.has(t) ? j : t);
      }
      return Uint32Array.from(chosen).sort();
    }
    const idx = Uint32Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < k; i++) {
      const j = i + this.int(n - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    return idx.slice(0, k).sort();
  }
}
