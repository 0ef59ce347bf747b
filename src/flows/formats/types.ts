/**
 * The contract every flow-log format adapter implements.
 *
 * Adapters are line-oriented: collectors ship one record per line (NDJSON, CSV, TSV, space
 * separated). Formats whose lines depend on a header (Zeek `#fields`, CSV headers, AWS custom
 * format strings) learn it from header lines, or from `header` when a message carries its lines
 * without one (NATS header `Foresight-Header`, set by `foresight replay`).
 */
import type { DeadLetterReason } from '../dead-letter.js';
import type { FlowRecord } from '../flow-record.js';

export type FormatName =
  | 'foresight-ndjson'
  | 'aws-vpc'
  | 'azure-nsg'
  | 'azure-vnet'
  | 'gcp-vpc'
  | 'hubble'
  | 'calico'
  | 'zeek-tsv'
  | 'zeek-json'
  | 'argus-csv'
  | 'unsw-nb15';

export type LineOutcome =
  | { kind: 'flows'; flows: FlowRecord[] }
  /** A header or comment line; it may have configured the parser. Not a flow, not an error. */
  | { kind: 'header' }
  /** A well-formed record that carries no flow (AWS NODATA/SKIPDATA, blank line). Counted. */
  | { kind: 'skip'; reason: string }
  | { kind: 'error'; reason: DeadLetterReason; detail: string };

/** Parses lines of one format; holds header state, so create one per file or message. */
export interface FlowParser {
  parse(line: string): LineOutcome;
  /** The header lines this parser has learnt, to ship alongside lines that travel without them. */
  headerLines(): string[];
}

export interface FlowFormat {
  name: FormatName;
  /** One line for `--help` and docs. */
  description: string;
  /**
   * How sure the adapter is that these first lines are its format, 0 (no) to 1 (certain).
   * Must never throw.
   */
  sniff(lines: readonly string[]): number;
  createParser(options?: { header?: readonly string[] }): FlowParser;
  /**
   * Serialises flows into lines of this format (header lines first, if the format has them).
   * The simulator writes every format through this; parse(write(x)) keeps what the format can hold.
   */
  write(flows: readonly FlowRecord[]): string[];
}
