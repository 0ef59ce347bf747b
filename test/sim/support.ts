/** Shared helpers for the simulator tests: a fixed Monday start and small stream utilities. */
import { createHash } from 'node:crypto';
import type { FlowRecord } from '../../src/flows/flow-record.js';

/** Monday 2026-01-05 00:00 UTC. */
export const MONDAY = Date.UTC(2026, 0, 5);
export const HOUR = 3_600_000;
export const MINUTE = 60_000;

/** Stand-in NDJSON serialisation for byte-level comparisons (the real adapters have their own tests). */
export function ndjson(flows: Iterable<FlowRecord>): string[] {
  const out: string[] = [];
  for (const f of flows) out.push(JSON.stringify(f));
  return out;
}

/** sha256 of the stream's NDJSON, computed without holding the stream. */
export function digest(flows: Iterable<FlowRecord>): { sha: string; count: number } {
  const h = createHash('sha256');
  let count = 0;
  for (const f of flows) {
    h.update(JSON.stringify(f));
    h.update('\n');
    count++;
  }
  return { sha: h.digest('hex'), count };
}

export function collect(
  flows: Iterable<FlowRecord>,
  keep: (f: FlowRecord) => boolean = () => true,
): FlowRecord[] {
  const out: FlowRecord[] = [];
  for (const f of flows) if (keep(f)) out.push(f);
  return out;
}

export function distinct<T>(items: Iterable<T>): number {
  return new Set(items).size;
}

/** Coefficient of variation (std/mean) of the gaps between consecutive timestamps. */
export function interArrivalCv(ts: readonly number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < ts.length; i++) gaps.push((ts[i] as number) - (ts[i - 1] as number));
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length;
  return Math.sqrt(variance) / mean;
}
