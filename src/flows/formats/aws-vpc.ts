/**
 * `aws-vpc`: AWS VPC Flow Logs, space separated. Version 2 default (14 fields) without a header;
 * custom formats (v3–v5) are configured by a header line naming the fields, with or without a
 * leading `#` and in either `srcaddr` or `${srcaddr}` spelling (the LogFormat string).
 *
 * Mapping decisions (ADR 0003): start/end are epoch seconds; pkt-srcaddr/pkt-dstaddr (pre-NAT,
 * the pod IP under the EKS VPC CNI) win over srcaddr/dstaddr when present; NODATA/SKIPDATA are
 * skips; tcp-flags give the outcome (see `outcomeFromTcpFlags`).
 */
import type { ConnOutcome, FlowRecord } from '../flow-record.js';
import {
  columnIndex,
  durationMs,
  guardParse,
  invalid,
  ip,
  isBlank,
  isUnset,
  malformed,
  missing,
  optCount,
  optPort,
  toNumber,
  tsFromSeconds,
} from './fields.js';
import { dataLines } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { action, proto } from './vocab.js';

export const AWS_V2_FIELDS = [
  'version',
  'account-id',
  'interface-id',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
] as const;

const WRITE_FIELDS = [
  'version',
  'srcaddr',
  'dstaddr',
  'srcport',
  'dstport',
  'protocol',
  'packets',
  'bytes',
  'start',
  'end',
  'action',
  'log-status',
  'tcp-flags',
  'flow-direction',
];

const FIELD_NAME = /^[a-z][a-z0-9-]*$/;
const WS = /\s+/;

/** Field names of a format line, or undefined when the text is not one. */
export function formatFields(text: string): string[] | undefined {
  const tokens = text.trim().split(WS);
  const names = tokens.map((t) => (t.startsWith('${') && t.endsWith('}') ? t.slice(2, -1) : t));
  if (!names.every((n) => FIELD_NAME.test(n))) return undefined;
  if (!names.includes('srcaddr') || !names.includes('dstaddr')) return undefined;
  return names;
}

/**
 * AWS records TCP flags OR-ed over the aggregation window, per direction: SYN=2, FIN=1, RST=4,
 * SYN-ACK=18. RST → rejected. SYN alone → attempt, except when the record has more packets than
 * a host sends SYN retries in a window (6): the client side of a live connection logs only its
 * SYN, since plain ACKs are not recorded. 0 or absent → unknown.
 */
export function outcomeFromTcpFlags(flags: number, packets: number | undefined): ConnOutcome | undefined {
  if (flags === 0) return undefined;
  if (flags & 4) return 'rejected';
  if (flags === 2) return packets !== undefined && packets > 6 ? 'established' : 'attempt';
  return 'established';
}

const DEFAULT_LAYOUT = columnIndex(AWS_V2_FIELDS);

class AwsVpcParser implements FlowParser {
  private layout = DEFAULT_LAYOUT;
  private header: string | undefined;

  constructor(header: readonly string[] | undefined) {
    for (const line of header ?? []) this.parse(line);
  }

  headerLines(): string[] {
    return this.header === undefined ? [] : [this.header];
  }

  parse(line: string): LineOutcome {
    return guardParse(line, (l) => this.parseLine(l));
  }

  private parseLine(line: string): LineOutcome {
    if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
    const isComment = line.charCodeAt(0) === 35; /* # */
    const first = line.trimStart().charCodeAt(0);
    if (isComment || !(first >= 48 && first <= 57)) {
      const fields = formatFields(isComment ? line.slice(1) : line);
      if (fields) {
        this.layout = columnIndex(fields);
        this.header = line;
        return { kind: 'header' };
      }
      if (isComment) return { kind: 'header' };
    }
    const tokens = line.trim().split(WS);
    const { names: fields, at } = this.layout;
    if (tokens.length !== fields.length) {
      return malformed(`expected ${fields.length} fields (${fields.join(' ')}), got ${tokens.length}`);
    }
    const get = (name: string): string | undefined => {
      const i = at[name];
      return i === undefined ? undefined : tokens[i];
    };
    const status = get('log-status');
    if (status === 'NODATA' || status === 'SKIPDATA') return { kind: 'skip', reason: status.toLowerCase() };
    return { kind: 'flows', flows: [this.toFlow(get)] };
  }

  private toFlow(get: (name: string) => string | undefined): FlowRecord {
    const start = get('start');
    if (start === undefined) return missing('start', 'is not in the log format (no event time)');
    const act = get('action');
    if (act === undefined) return missing('action', 'is not in the log format');
    const pktSrc = get('pkt-srcaddr');
    const pktDst = get('pkt-dstaddr');
    const flow: FlowRecord = {
      ts: tsFromSeconds('start', start),
      src: isUnset(pktSrc) ? ip('srcaddr', get('srcaddr')) : ip('pkt-srcaddr', pktSrc),
      dst: isUnset(pktDst) ? ip('dstaddr', get('dstaddr')) : ip('pkt-dstaddr', pktDst),
      proto: isUnset(get('protocol')) ? 0 : proto('protocol', get('protocol')),
      action: action('action', act),
    };
    const end = get('end');
    if (!isUnset(end)) {
      const ms = (toNumber('end', end) - toNumber('start', start)) * 1000;
      flow.durationMs = durationMs('end', ms, end);
    }
    const srcPort = optPort('srcport', get('srcport'));
    if (srcPort !== undefined) flow.srcPort = srcPort;
    const dstPort = optPort('dstport', get('dstport'));
    if (dstPort !== undefined) flow.dstPort = dstPort;
    const bytes = optCount('bytes', get('bytes'));
    if (bytes !== undefined) flow.bytes = bytes;
    const packets = optCount('packets', get('packets'));
    if (packets !== undefined) flow.packets = packets;
    const flags = optCount('tcp-flags', get('tcp-flags'));
    if (flags !== undefined && flow.proto === 6) {
      const outcome = outcomeFromTcpFlags(flags, packets);
      if (outcome) flow.outcome = outcome;
    }
    const dir = get('flow-direction');
    if (dir === 'ingress' || dir === 'egress') flow.direction = dir;
    else if (!isUnset(dir)) return invalid('flow-direction', dir, 'is not ingress|egress');
    return flow;
  }
}

function flagsFor(f: FlowRecord): number {
  switch (f.outcome) {
    case 'attempt':
      return 2;
    case 'rejected':
      return 6;
    case 'established':
      return 3;
    default:
      return 0;
  }
}

function writeLine(f: FlowRecord): string {
  const start = Math.floor(f.ts / 1000);
  const end = f.durationMs === undefined ? '-' : String(Math.floor((f.ts + f.durationMs) / 1000));
  const opt = (v: number | undefined): string => (v === undefined ? '-' : String(v));
  return [
    '5',
    f.src,
    f.dst,
    opt(f.srcPort),
    opt(f.dstPort),
    f.proto === 0 ? '-' : String(f.proto),
    opt(f.packets),
    opt(f.bytes),
    String(start),
    end,
    f.action === 'allow' ? 'ACCEPT' : 'REJECT',
    'OK',
    String(flagsFor(f)),
    f.direction ?? '-',
  ].join(' ');
}

function sniff(lines: readonly string[]): number {
  try {
    for (const line of lines.slice(0, 50)) {
      const t = line.trim();
      if (formatFields(t.startsWith('#') ? t.slice(1) : t)) return 0.95;
    }
    const data = dataLines(lines, 10);
    if (data.length === 0) return 0;
    const status = new Set(['OK', 'NODATA', 'SKIPDATA']);
    const hits = data.filter((l) => {
      const t = l.split(WS);
      return t.length === 14 && t[0] === '2' && status.has(t[13] ?? '');
    }).length;
    return (0.9 * hits) / data.length;
  } catch {
    return 0;
  }
}

export const awsVpc: FlowFormat = {
  name: 'aws-vpc',
  description: 'AWS VPC Flow Logs: v2 default (14 fields) or custom v3–v5 with a format header line',
  sniff,
  createParser: (options) => new AwsVpcParser(options?.header),
  write: (flows) => [WRITE_FIELDS.join(' '), ...flows.map(writeLine)],
};
