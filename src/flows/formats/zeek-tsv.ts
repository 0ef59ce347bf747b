/**
 * `zeek-tsv`: Zeek conn.log in its native TSV form. `#separator`, `#unset_field`, `#empty_field`
 * and `#fields` header lines configure the parser; without them the default conn.log columns are
 * assumed (21, or 23 with the Stratosphere `label` and `detailedlabel` columns).
 *
 * Stratosphere-labelled logs (netflowlabeler output, e.g. IoT-23) sometimes join the last columns
 * with runs of spaces instead of tabs, in `#fields` and in rows alike; both are re-split.
 */
import type { FlowRecord } from '../flow-record.js';
import { guardParse, isBlank, malformed } from './fields.js';
import { dataLines } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { connToFlow, flowToConn, type ZeekConn } from './zeek-conn.js';

export const ZEEK_CONN_FIELDS = [
  'ts',
  'uid',
  'id.orig_h',
  'id.orig_p',
  'id.resp_h',
  'id.resp_p',
  'proto',
  'service',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'local_orig',
  'local_resp',
  'missed_bytes',
  'history',
  'orig_pkts',
  'orig_ip_bytes',
  'resp_pkts',
  'resp_ip_bytes',
  'tunnel_parents',
];
const LABELLED_FIELDS = [...ZEEK_CONN_FIELDS, 'label', 'detailedlabel'];
const TYPES = [
  'time',
  'string',
  'addr',
  'port',
  'addr',
  'port',
  'enum',
  'string',
  'interval',
  'count',
  'count',
  'string',
  'bool',
  'bool',
  'count',
  'string',
  'count',
  'count',
  'count',
  'count',
  'set[string]',
  'string',
  'string',
];
const LOOSE_SPLIT = /\t| {2,}/;

/** `\x09` escapes in `#separator` values. */
function unescape(s: string): string {
  return s.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

type Index = Record<keyof ZeekConn, number>;

function indexOf(fields: readonly string[]): Index {
  const at = (name: string): number => fields.indexOf(name);
  return {
    ts: at('ts'),
    origH: at('id.orig_h'),
    origP: at('id.orig_p'),
    respH: at('id.resp_h'),
    respP: at('id.resp_p'),
    proto: at('proto'),
    duration: at('duration'),
    origBytes: at('orig_bytes'),
    respBytes: at('resp_bytes'),
    origIpBytes: at('orig_ip_bytes'),
    respIpBytes: at('resp_ip_bytes'),
    connState: at('conn_state'),
    localOrig: at('local_orig'),
    localResp: at('local_resp'),
    origPkts: at('orig_pkts'),
    respPkts: at('resp_pkts'),
    label: at('label'),
  };
}

const DEFAULT_INDEX = indexOf(LABELLED_FIELDS);

class ZeekTsvParser implements FlowParser {
  private sep = '\t';
  private unset = '-';
  private empty = '(empty)';
  private fields: string[] | undefined;
  private index: Index = DEFAULT_INDEX;
  private readonly header: string[] = [];

  constructor(header: readonly string[] | undefined) {
    for (const line of header ?? []) this.parse(line);
  }

  headerLines(): string[] {
    return [...this.header];
  }

  parse(line: string): LineOutcome {
    return guardParse(line, (l) => this.parseLine(l));
  }

  private parseHeader(line: string): LineOutcome {
    if (line.startsWith('#separator ')) {
      this.sep = unescape(line.slice('#separator '.length));
      if (this.sep.length === 0) this.sep = '\t';
      this.header.length = 0;
    } else {
      const parts = line.split(this.sep);
      const key = parts[0];
      const values = parts.slice(1);
      if (key === '#unset_field' && values[0] !== undefined) this.unset = values[0];
      else if (key === '#empty_field' && values[0] !== undefined) this.empty = values[0];
      else if (key === '#fields') {
        this.fields = values.flatMap((v) => v.trim().split(/\s+/)).filter((v) => v.length > 0);
        this.index = indexOf(this.fields);
      } else if (key === '#close') return { kind: 'header' };
    }
    if (!line.startsWith('#close')) this.header.push(line);
    return { kind: 'header' };
  }

  private parseLine(line: string): LineOutcome {
    if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
    if (line.charCodeAt(0) === 35 /* # */) return this.parseHeader(line);
    let cells = line.split(this.sep);
    const expected = this.fields?.length;
    if (expected === undefined) {
      if (cells.length !== ZEEK_CONN_FIELDS.length && cells.length !== LABELLED_FIELDS.length) {
        cells = line.split(LOOSE_SPLIT);
      }
      if (cells.length !== ZEEK_CONN_FIELDS.length && cells.length !== LABELLED_FIELDS.length) {
        return malformed(`expected 21 or 23 conn.log columns without a #fields header, got ${cells.length}`);
      }
    } else if (cells.length !== expected) {
      cells = line.split(LOOSE_SPLIT);
      if (cells.length !== expected)
        return malformed(`expected ${expected} columns (#fields), got ${cells.length}`);
    }
    const ix = this.index;
    const unset = this.unset;
    const empty = this.empty;
    const get = (i: number): string | undefined => {
      if (i < 0) return undefined;
      const v = cells[i];
      if (v === undefined || v === unset) return undefined;
      return v === empty ? '' : v;
    };
    const conn: ZeekConn = {
      ts: get(ix.ts),
      origH: get(ix.origH),
      origP: get(ix.origP),
      respH: get(ix.respH),
      respP: get(ix.respP),
      proto: get(ix.proto),
      duration: get(ix.duration),
      origBytes: get(ix.origBytes),
      respBytes: get(ix.respBytes),
      origIpBytes: get(ix.origIpBytes),
      respIpBytes: get(ix.respIpBytes),
      connState: get(ix.connState),
      localOrig: get(ix.localOrig),
      localResp: get(ix.localResp),
      origPkts: get(ix.origPkts),
      respPkts: get(ix.respPkts),
      label: get(ix.label),
    };
    return { kind: 'flows', flows: [connToFlow(conn)] };
  }
}

function writeRow(f: FlowRecord, i: number): string {
  const z = flowToConn(f);
  const opt = (v: number | string | undefined): string => (v === undefined ? '-' : String(v));
  const tf = (b: boolean | undefined): string => (b === undefined ? '-' : b ? 'T' : 'F');
  return [
    z.ts,
    `CFs${i.toString(36)}`,
    f.src,
    opt(f.srcPort),
    f.dst,
    opt(f.dstPort),
    z.proto,
    '-',
    opt(z.duration),
    f.bytes === undefined ? '-' : '0',
    f.bytes === undefined ? '-' : '0',
    z.connState,
    tf(z.localOrig),
    tf(z.localResp),
    '0',
    '-',
    opt(f.packets),
    opt(f.bytes),
    f.packets === undefined ? '-' : '0',
    f.bytes === undefined ? '-' : '0',
    '(empty)',
    opt(f.label),
    '-',
  ].join('\t');
}

function sniff(lines: readonly string[]): number {
  try {
    for (const line of lines.slice(0, 20)) {
      if (line.startsWith('#separator') || /^#fields\s+ts\s/.test(line)) return 0.99;
    }
    const data = dataLines(lines, 10);
    if (data.length === 0) return 0;
    const hits = data.filter((l) => {
      const cells = l.split('\t');
      return cells.length >= 21 && /^\d{9,10}(\.\d+)?$/.test(cells[0] ?? '') && /^C\w+$/.test(cells[1] ?? '');
    }).length;
    return (0.8 * hits) / data.length;
  } catch {
    return 0;
  }
}

export const zeekTsv: FlowFormat = {
  name: 'zeek-tsv',
  description: 'Zeek conn.log TSV with #fields headers (Stratosphere label/detailedlabel columns read)',
  sniff,
  createParser: (options) => new ZeekTsvParser(options?.header),
  write: (flows) => [
    '#separator \\x09',
    '#set_separator\t,',
    '#empty_field\t(empty)',
    '#unset_field\t-',
    '#path\tconn',
    `#fields\t${LABELLED_FIELDS.join('\t')}`,
    `#types\t${TYPES.join('\t')}`,
    ...flows.map(writeRow),
  ],
};
