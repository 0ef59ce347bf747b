/**
 * Series for the forecaster tests: the real per-minute fixture (Stratosphere Zeek capture 011,
 * see test/fixtures/SOURCES.md), a synthetic series with a known daily + weekly pattern, the
 * simulator's per-minute traffic into one namespace, and the ONNX-vs-TypeScript comparison.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RegularSeries } from '../../../../src/detector/models/types.js';
import { gaussian, seededRandom } from '../../../../src/detector/models/forecast/stats.js';
import { createSimulator } from '../../../../src/sim/index.js';

export const MINUTE = 60_000;
export const DAY = 86_400_000;

const FIXTURE = fileURLToPath(
  new URL('../../../fixtures/series/stratosphere_011_per_minute.csv', import.meta.url),
);

/** 1 444 per-minute points, 2022-06-12 21:56 to 2022-06-13 21:59 UTC. */
export function stratosphereSeries(metric: 'flows' | 'bytes'): RegularSeries {
  const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n').slice(1);
  const col = metric === 'flows' ? 1 : 2;
  const rows = lines.map((l) => l.split(','));
  return {
    startMs: Date.parse(rows[0]![0]!),
    stepMs: MINUTE,
    values: rows.map((r) => Number(r[col])),
  };
}

/** log1p(traffic) = level + trend + daily + weekly + N(0, noise²); `truth` is the noiseless log1p value. */
export function syntheticSeries(
  days: number,
  seed: number,
  noise = 0.2,
): { series: RegularSeries; truth: (tMs: number) => number } {
  const startMs = Date.UTC(2024, 0, 1);
  const truth = (t: number): number => {
    const d = (t / DAY) % 1;
    const w = (t / (7 * DAY)) % 1;
    return (
      3 +
      (0.15 * (t - startMs)) / (7 * DAY) +
      0.8 * Math.sin(2 * Math.PI * d) +
      0.3 * Math.cos(4 * Math.PI * d) +
      0.4 * Math.sin(2 * Math.PI * w)
    );
  };
  const g = gaussian(seededRandom(seed));
  const values = Array.from({ length: days * 1440 }, (_, i) =>
    Math.max(0, Math.expm1(truth(startMs + i * MINUTE) + noise * g())),
  );
  return { series: { startMs, stepMs: MINUTE, values }, truth };
}

/** Flows per minute into namespace `shop` of the default simulated cluster, from a Monday. */
export function simulatedSeries(days: number, seed: number, rate = 2): RegularSeries {
  const startMs = Date.UTC(2024, 0, 8);
  const values = new Array<number>(days * 1440).fill(0);
  const sim = createSimulator({ seed, start: startMs, rate });
  for (const f of sim.flows(startMs + days * DAY)) {
    if (f.dstK8s?.namespace === 'shop') values[Math.floor((f.ts - startMs) / MINUTE)]!++;
  }
  return { startMs, stepMs: MINUTE, values };
}

export function slice(s: RegularSeries, from: number, to: number): RegularSeries {
  return { startMs: s.startMs + from * s.stepMs, stepMs: s.stepMs, values: s.values.slice(from, to) };
}

/** Largest |onnx − ts| / max(1, |ts|): absolute below 1, relative above (traffic counts and bytes). */
export function maxRelativeError(onnx: ArrayLike<number>, ts: ArrayLike<number>): number {
  assert.equal(onnx.length, ts.length);
  let worst = 0;
  for (let i = 0; i < ts.length; i++) {
    worst = Math.max(worst, Math.abs(onnx[i]! - ts[i]!) / Math.max(1, Math.abs(ts[i]!)));
  }
  return worst;
}
