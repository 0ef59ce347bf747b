/**
 * Encodes JavaScript values as PostgreSQL COPY … WITH (FORMAT csv) input. Both backends load bulk
 * rows through COPY (pg over the wire with pg-copy-streams, PGlite from '/dev/blob'), so this is
 * the one place that decides how a value becomes text.
 *
 * CSV rules used: an unquoted empty field is NULL; every other value that could contain a
 * delimiter, quote or newline is double-quoted with `"` doubled, which also keeps '' distinct
 * from NULL. Arrays become array literals (`{…}`, elements quoted with backslash escapes), then
 * CSV-quoted; plain objects become JSON and bytes become bytea hex. A json/jsonb column whose
 * value is a JS array must be given JSON.stringify(value): a bare array means a PostgreSQL array.
 */
import { ForesightError } from '../../errors.js';

function quoteCsv(text: string): string {
  return `"${text.replaceAll('"', '""')}"`;
}

function numberText(n: number): string {
  // String() already yields NaN/Infinity/-Infinity, which real/double columns accept.
  return String(n);
}

function dateText(d: Date): string {
  const ms = d.getTime();
  if (Number.isNaN(ms)) throw new ForesightError('store-encode', 'cannot encode an invalid Date');
  return d.toISOString();
}

function isBytes(v: unknown): v is Uint8Array {
  return v instanceof Uint8Array;
}

function bytesText(v: Uint8Array): string {
  return `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
}

/** One element of an array literal: NULL, a bare number/boolean or a quoted string. */
function arrayElement(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (Array.isArray(v)) return arrayLiteral(v);
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  let text: string;
  if (typeof v === 'string') text = v;
  else if (v instanceof Date) text = dateText(v);
  else if (isBytes(v)) text = bytesText(v);
  else text = JSON.stringify(v);
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** PostgreSQL array literal, e.g. `{1.5,NaN}` or `{"a\"b",NULL}`. */
export function arrayLiteral(values: readonly unknown[]): string {
  return `{${values.map(arrayElement).join(',')}}`;
}

/**
 * A float4 array: nine significant digits are enough for any float32 to read back exactly, and
 * half the text of a double's shortest form (feature vectors are most of a row's bytes).
 */
function float32ArrayText(v: Float32Array): string {
  let out = '{';
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    out += (i > 0 ? ',' : '') + (Number.isFinite(x) ? x.toPrecision(9) : String(x));
  }
  return out + '}';
}

/** One CSV field. */
export function csvField(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Float32Array) return quoteCsv(float32ArrayText(v));
  if (typeof v === 'number') return numberText(v);
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'string') return quoteCsv(v);
  if (v instanceof Date) return dateText(v);
  if (Array.isArray(v)) return quoteCsv(arrayLiteral(v));
  if (isBytes(v)) return bytesText(v);
  if (typeof v === 'object') return quoteCsv(JSON.stringify(v));
  throw new ForesightError('store-encode', `cannot encode a ${typeof v} for COPY`);
}

/** One CSV line, newline included. */
export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\n`;
}

/** CSV text in chunks of `rowsPerChunk` lines, so a large COPY streams without one huge string. */
export function* csvChunks(rows: Iterable<readonly unknown[]>, rowsPerChunk = 1000): Generator<string> {
  let chunk = '';
  let n = 0;
  for (const row of rows) {
    chunk += csvRow(row);
    n += 1;
    if (n >= rowsPerChunk) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  if (chunk !== '') yield chunk;
}
