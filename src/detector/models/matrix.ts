/**
 * Small helpers on the row-major float32 `Matrix` every model trains and scores on: build one
 * from feature rows, take a subset of rows, split off a held-out part. Kept apart from the
 * models so that training, scoring and tests build matrices the same way.
 */
import { ForesightError } from '../../errors.js';
import type { Matrix } from './types.js';

export function matrixFromRows(rows: readonly (readonly number[])[], dims?: number): Matrix {
  const d = dims ?? rows[0]?.length ?? 0;
  const data = new Float32Array(rows.length * d);
  rows.forEach((r, i) => {
    if (r.length !== d)
      throw new ForesightError('matrix-shape', `row ${i} has ${r.length} values, expected ${d}`);
    data.set(r, i * d);
  });
  return { data, rows: rows.length, dims: d };
}

export function emptyMatrix(rows: number, dims: number): Matrix {
  return { data: new Float32Array(rows * dims), rows, dims };
}

/** The rows at `indices`, copied, in that order. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = emptyMatrix(indices.length, m.dims);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i]!;
    out.data.set(m.data.subarray(r * m.dims, (r + 1) * m.dims), i * m.dims);
  }
  return out;
}

/** Rows [from, to) as a view (no copy). */
export function sliceRows(m: Matrix, from: number, to: number): Matrix {
  const end = Math.min(to, m.rows);
  return { data: m.data.subarray(from * m.dims, end * m.dims), rows: Math.max(0, end - from), dims: m.dims };
}

export function assertMatrix(m: Matrix, dims: number, what: string): void {
  if (m.dims !== dims)
    throw new ForesightError('matrix-shape', `${what}: rows have ${m.dims} features, expected ${dims}`);
  if (m.data.length !== m.rows * m.dims) {
    throw new ForesightError('matrix-shape', `${what}: ${m.data.length} values for ${m.rows}×${m.dims}`);
  }
}
