/**
 * Field validation shared by every format adapter: addresses, ports, counters, durations and
 * timestamps, plus the error type adapters throw internally and the guard that turns it into a
 * `LineOutcome` so that `parse()` itself never throws.
 *
 * Adapters throw `FieldError` from deep inside their record walk (it keeps the happy path free of
 * result plumbing); `guardParse` is the one place that catches it.
 */
import { isIP } from 'node:net';
import { errorMessage } from '../../errors.js';
import type { DeadLetterReason } from '../dead-letter.js';
import type { FlowRecord } from '../flow-record.js';
import type { FlowParser, LineOutcome } from './types.js';

/** 1990-01-01T00:00:00Z and 2100-01-01T00:00:00Z: anything outside is a unit or parse mistake. */
export const MIN_TS_MS = 631_152_000_000;
export const MAX_TS_MS = 4_102_444_800_000;
/** A flow longer than a year is a unit mistake, not a flow. */
export const MAX_DURATION_MS = 366 * 24 * 3600 * 1000;

export class FieldError extends Error {
  readonly reason: DeadLetterReason;
  constructor(reason: DeadLetterReason, detail: string) {
    super(detail);
    this.name = 'FieldError';
    this.reason = reason;
  }
}

/** Shortens a value for a dead-letter detail; dead letters keep the full line in `raw`. */
export function show(value: unknown): string {
  let s: string;
  if (typeof value === 'string') s = value;
  else {
    try {
      s = JSON.stringify(value) ?? String(value);
    } catch {
      s = String(value);
    }
  }
  if (s.length > 80) s = `${s.slice(0, 77)}...`;
  return typeof value === 'string' ? JSON.stringify(s) : s;
}

export function invalid(field: string, value: unknown, why: string): never {
  throw new FieldError('invalid-field', `${field} ${show(value)} ${why}`);
}

export function missing(field: string, why = 'is missing'): never {
  throw new FieldError('invalid-field', `${field} ${why}`);
}

export function malformed(detail: string): never {
  throw new FieldError('malformed', detail);
}

/** Runs a line parser and converts anything it throws into an error outcome. */
export function guardParse(line: string, parse: (line: string) => LineOutcome): LineOutcome {
  try {
    return parse(line);
  } catch (err) {
    if (err instanceof FieldError) return { kind: 'error', reason: err.reason, detail: err.message };
    return { kind: 'error', reason: 'adapter-exception', detail: errorMessage(err) };
  }
}

/** A parser for formats whose lines stand alone (no header state). */
export function lineParser(parseLine: (line: string) => LineOutcome): FlowParser {
  return { parse: (line) => guardParse(line, parseLine), headerLines: () => [] };
}

/** Column names of a delimited format and the first position of each name. */
export interface ColumnIndex {
  names: readonly string[];
  at: Record<string, number>;
}

export function columnIndex(names: readonly string[]): ColumnIndex {
  const at: Record<string, number> = {};
  names.forEach((n, i) => (at[n] ??= i));
  return { names, at };
}

/** True when a value is absent in any of the ways formats spell "absent". */
export function isUnset(v: unknown): v is undefined | null | '' | '-' {
  return v === undefined || v === null || v === '' || v === '-';
}

/** A finite number from a JSON number or a numeric string (int64 values arrive as strings). */
export function toNumber(field: string, v: unknown): number {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && v.length > 0 && v.length < 40) n = Number(v);
  else return invalid(field, v, 'is not a number');
  if (!Number.isFinite(n)) return invalid(field, v, 'is not a finite number');
  return n;
}

export function ip(field: string, v: unknown): string {
  if (typeof v !== 'string' || v.length === 0) return invalid(field, v, 'is not an IP address');
  if (isIP(v) === 0) return invalid(field, v, 'is not an IP address');
  return v;
}

export function port(field: string, v: unknown): number {
  const n = toNumber(field, v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return invalid(field, v, 'is not a port (0..65535)');
  return n;
}

export function optPort(field: string, v: unknown): number | undefined {
  return isUnset(v) ? undefined : port(field, v);
}

export function count(field: string, v: unknown): number {
  const n = toNumber(field, v);
  if (!Number.isSafeInteger(n) || n < 0) return invalid(field, v, 'is not a non-negative integer count');
  return n;
}

export function optCount(field: string, v: unknown): number | undefined {
  return isUnset(v) ? undefined : count(field, v);
}

/** Sum of the counters that are present; undefined when none is. */
export function sumCounts(field: string, ...values: unknown[]): number | undefined {
  let total: number | undefined;
  for (const v of values) {
    if (isUnset(v)) continue;
    total = (total ?? 0) + count(field, v);
  }
  if (total !== undefined && !Number.isSafeInteger(total)) return invalid(field, total, 'overflows');
  return total;
}

export function checkTs(field: string, ms: number, raw: unknown = ms): number {
  if (!Number.isFinite(ms) || ms < MIN_TS_MS || ms >= MAX_TS_MS) {
    return invalid(field, raw, 'is not a plausible time (1990..2100)');
  }
  return ms;
}

/** Seconds (possibly fractional) → milliseconds rounded to the microsecond, free of float noise. */
export function secondsToMs(s: number): number {
  return Math.round(s * 1e6) / 1e3;
}

export function tsFromSeconds(field: string, v: unknown): number {
  return checkTs(field, secondsToMs(toNumber(field, v)), v);
}

export function tsFromMillis(field: string, v: unknown): number {
  return checkTs(field, toNumber(field, v), v);
}

export function durationMs(field: string, ms: number, raw: unknown = ms): number {
  if (!Number.isFinite(ms) || ms < 0 || ms > MAX_DURATION_MS) {
    return invalid(field, raw, 'is not a plausible duration');
  }
  return ms;
}

export function optDurationFromSeconds(field: string, v: unknown): number | undefined {
  return isUnset(v) ? undefined : durationMs(field, secondsToMs(toNumber(field, v)), v);
}

/**
 * What is wrong with a FlowRecord, or undefined when it is valid. Adapters only produce valid
 * records; this is for property tests and for code that builds records by hand (the simulator).
 */
export function flowRecordProblem(f: FlowRecord): string | undefined {
  if (typeof f.src !== 'string' || isIP(f.src) === 0) return `src ${show(f.src)} is not an IP address`;
  if (typeof f.dst !== 'string' || isIP(f.dst) === 0) return `dst ${show(f.dst)} is not an IP address`;
  if (!Number.isFinite(f.ts) || f.ts < MIN_TS_MS || f.ts >= MAX_TS_MS) return `ts ${f.ts} is implausible`;
  for (const [name, p] of [
    ['srcPort', f.srcPort],
    ['dstPort', f.dstPort],
  ] as const) {
    if (p !== undefined && (!Number.isInteger(p) || p < 0 || p > 65535)) return `${name} ${p} out of range`;
  }
  if (!Number.isInteger(f.proto) || f.proto < 0 || f.proto > 255) return `proto ${f.proto} out of range`;
  if (f.action !== 'allow' && f.action !== 'deny') return `action ${show(f.action)} invalid`;
  for (const [name, c] of [
    ['bytes', f.bytes],
    ['packets', f.packets],
  ] as const) {
    if (c !== undefined && (!Number.isSafeInteger(c) || c < 0)) return `${name} ${c} invalid`;
  }
  if (f.durationMs !== undefined && !(f.durationMs >= 0 && f.durationMs <= MAX_DURATION_MS)) {
    return `durationMs ${f.durationMs} invalid`;
  }
  return undefined;
}

/** Empty or whitespace-only line (cheap for the common non-blank case). */
export function isBlank(line: string): boolean {
  return line.length === 0 || (line.charCodeAt(0) <= 32 && line.trim().length === 0);
}
