/**
 * Lines of one format → flows, dead letters and skip counts. The NATS consumer calls this per
 * message and the file reader per batch, so it is the hot path: one pass, no per-line
 * allocation beyond what the adapter returns, and no way for an adapter to stop the stream
 * (a throw becomes an `adapter-exception` dead letter carrying the line).
 */
import { errorMessage } from '../errors.js';
import type { DeadLetter } from './dead-letter.js';
import type { FlowRecord } from './flow-record.js';
import type { FlowFormat, FlowParser, LineOutcome } from './formats/types.js';

export interface ParseLinesOptions {
  /** Header lines that configure the parser (NATS header `Foresight-Header`). */
  header?: readonly string[];
  /** NATS subject the lines came on, recorded on dead letters. */
  subject?: string;
  /** Continue with an existing parser (its header state) instead of creating one. */
  parser?: FlowParser;
}

export interface ParseLinesResult {
  flows: FlowRecord[];
  deadLetters: DeadLetter[];
  /** Skips by reason (blank, nodata, calico-aggregated, …). */
  skipped: Record<string, number>;
}

export function parseLines(
  format: FlowFormat,
  lines: readonly string[],
  options: ParseLinesOptions = {},
): ParseLinesResult {
  const flows: FlowRecord[] = [];
  const deadLetters: DeadLetter[] = [];
  const skipped: Record<string, number> = {};
  let parser: FlowParser;
  try {
    parser = options.parser ?? format.createParser(options.header ? { header: options.header } : undefined);
  } catch (err) {
    // A parser that cannot even be created makes every line a dead letter, never a crash.
    const detail = `createParser failed: ${errorMessage(err)}`;
    for (const raw of lines) deadLetters.push(letter('adapter-exception', detail, format, options, raw));
    return { flows, deadLetters, skipped };
  }
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const line = raw.charCodeAt(raw.length - 1) === 13 /* \r */ ? raw.slice(0, -1) : raw;
    try {
      const out: LineOutcome = parser.parse(line);
      switch (out.kind) {
        case 'flows':
          for (let j = 0; j < out.flows.length; j++) flows.push(out.flows[j] as FlowRecord);
          break;
        case 'skip':
          skipped[out.reason] = (skipped[out.reason] ?? 0) + 1;
          break;
        case 'error':
          deadLetters.push(letter(out.reason, out.detail, format, options, raw));
          break;
        case 'header':
          break;
        default:
          deadLetters.push(letter('adapter-exception', 'parse returned no outcome', format, options, raw));
      }
    } catch (err) {
      deadLetters.push(letter('adapter-exception', errorMessage(err), format, options, raw));
    }
  }
  return { flows, deadLetters, skipped };
}

function letter(
  reason: DeadLetter['reason'],
  detail: string,
  format: FlowFormat,
  options: ParseLinesOptions,
  raw: string,
): DeadLetter {
  const l: DeadLetter = { reason, detail, format: format.name, raw };
  if (options.subject !== undefined) l.subject = options.subject;
  return l;
}
