/**
 * Typed access to parsed JSON for the JSON-based adapters, and the sniffing helper they share.
 * Everything here tolerates any input shape: wrong types read as absent, never as a crash.
 */
import { malformed } from './fields.js';

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON.parse of one line that must hold an object; malformed otherwise. */
export function parseJsonObject(line: string): JsonObject {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (err) {
    return malformed(`not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isObject(v)) return malformed('JSON line is not an object');
  return v;
}

export function objectAt(o: JsonObject | undefined, key: string): JsonObject | undefined {
  const v = o?.[key];
  return isObject(v) ? v : undefined;
}

export function arrayAt(o: JsonObject | undefined, key: string): unknown[] | undefined {
  const v = o?.[key];
  return Array.isArray(v) ? v : undefined;
}

/** A non-empty string, or undefined. */
export function stringAt(o: JsonObject | undefined, key: string): string | undefined {
  const v = o?.[key];
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

/** Data lines among the first lines a sniffer gets: non-blank and not `#` comments. */
export function dataLines(lines: readonly string[], max: number): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const t = line.trim();
    if (t.length === 0 || t.startsWith('#')) continue;
    out.push(t);
    if (out.length >= max) break;
  }
  return out;
}

/**
 * Share of the first JSON lines for which `test` holds, scaled to `certainty`. Lines that are not
 * JSON objects count as misses, so text formats score 0.
 */
export function sniffJson(
  lines: readonly string[],
  test: (o: JsonObject) => boolean,
  certainty = 0.95,
  max = 5,
): number {
  try {
    const candidates = dataLines(lines, max);
    if (candidates.length === 0) return 0;
    let hits = 0;
    for (const line of candidates) {
      if (!line.startsWith('{')) continue;
      let v: unknown;
      try {
        v = JSON.parse(line);
      } catch {
        continue;
      }
      if (isObject(v) && test(v)) hits++;
    }
    return (certainty * hits) / candidates.length;
  } catch {
    return 0;
  }
}
