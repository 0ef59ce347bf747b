/**
 * `argus-csv`: Argus bidirectional flows as CSV (`ra -c ,`), the CTU-13 binetflow layout:
 * StartTime,Dur,Proto,SrcAddr,Sport,Dir,DstAddr,Dport,State,sTos,dTos,TotPkts,TotBytes,SrcBytes,Label.
 * A header line names the columns; without one that layout is assumed.
 *
 * Decisions (ADR 0003): StartTime (`2011/08/16 10:01:46.972101`) carries no zone and is read as
 * UTC (CTU-13 was captured in Prague, so its wall times are CEST, UTC+2; relative timing, which
 * is all the features use, is unaffected). Argus sees packets, so action is always `allow`; the
 * state gives the outcome (argus-state.ts). Hex ports (`0x0303`) are ICMP type/code and kept;
 * hex values above 65535 (ESP SPIs) are not ports and are dropped. Dir is the direction Argus
 * inferred for the flow, not ingress/egress, and is not carried. Rows whose addresses are MAC
 * addresses (IPX, other non-IP traffic) are skipped as `non-ip`. Label is kept verbatim.
 */
import type { FlowRecord } from '../flow-record.js';
import {
  columnIndex,
  checkTs,
  guardParse,
  invalid,
  ip,
  isBlank,
  isUnset,
  malformed,
  optCount,
  optDurationFromSeconds,
  port,
  secondsToMs,
  tsFromSeconds,
} from './fields.js';
import { argusOutcome, argusStateFor } from './argus-state.js';
import { dataLines } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { isoMicros, protoByName, protoName } from './vocab.js';

export const ARGUS_COLUMNS = [
  'StartTime',
  'Dur',
  'Proto',
  'SrcAddr',
  'Sport',
  'Dir',
  'DstAddr',
  'Dport',
  'State',
  'sTos',
  'dTos',
  'TotPkts',
  'TotBytes',
  'SrcBytes',
  'Label',
];

const ARGUS_TIME = /^(\d{4})[/-](\d{2})[/-](\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?$/;
const HEX = /^0x[0-9a-fA-F]{1,8}$/;
const MAC = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}$/;

function startTime(v: string | undefined): number {
  if (isUnset(v)) return invalid('StartTime', v ?? '', 'is missing');
  const m = ARGUS_TIME.exec(v);
  if (!m) return tsFromSeconds('StartTime', v);
  const [, y, mo, d, h, mi, s, frac] = m;
  if (
    Number(mo) < 1 ||
    Number(mo) > 12 ||
    Number(d) < 1 ||
    Number(d) > 31 ||
    Number(h) > 23 ||
    Number(mi) > 59
  ) {
    return invalid('StartTime', v, 'is not a valid date-time');
  }
  let ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (frac) ms += secondsToMs(Number(frac));
  return checkTs('StartTime', ms, v);
}

/** Decimal port, or hex (ICMP type/code); hex beyond 16 bits is an SPI or similar, not a port. */
export function argusPort(field: string, v: string | undefined): number | undefined {
  if (isUnset(v)) return undefined;
  if (v.startsWith('0x')) {
    if (!HEX.test(v)) return invalid(field, v, 'is not a hex port');
    const n = parseInt(v.slice(2), 16);
    return n <= 65535 ? n : undefined;
  }
  return port(field, v);
}

const DEFAULT_COLUMNS = columnIndex(ARGUS_COLUMNS);

class ArgusParser implements FlowParser {
  private cols = DEFAULT_COLUMNS;
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
    if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
    if (line.startsWith('StartTime,')) {
      this.cols = columnIndex(line.split(',').map((c) => c.trim()));
      this.header = line;
      return { kind: 'header' };
    }
    const cells = line.split(',');
    const { names, at } = this.cols;
    const labelAt = at.Label;
    if (cells.length > names.length && labelAt === names.length - 1) {
      cells.splice(labelAt, cells.length - labelAt, cells.slice(labelAt).join(','));
    }
    if (cells.length !== names.length) {
      return malformed(`expected ${names.length} columns (${names.join(',')}), got ${cells.length}`);
    }
    const get = (name: string): string | undefined => {
      const i = at[name];
      return i === undefined ? undefined : cells[i];
    };
    const srcRaw = get('SrcAddr');
    const dstRaw = get('DstAddr');
    if ((srcRaw !== undefined && MAC.test(srcRaw)) || (dstRaw !== undefined && MAC.test(dstRaw))) {
      return { kind: 'skip', reason: 'non-ip' };
    }
    const protoRaw = get('Proto')?.trim();
    const flow: FlowRecord = {
      ts: startTime(get('StartTime')),
      src: ip('SrcAddr', srcRaw),
      dst: ip('DstAddr', dstRaw),
      proto: protoRaw ? (protoByName(protoRaw) ?? 0) : 0,
      action: 'allow',
    };
    const dur = optDurationFromSeconds('Dur', get('Dur'));
    if (dur !== undefined) flow.durationMs = dur;
    const srcPort = argusPort('Sport', get('Sport'));
    if (srcPort !== undefined) flow.srcPort = srcPort;
    const dstPort = argusPort('Dport', get('Dport'));
    if (dstPort !== undefined) flow.dstPort = dstPort;
    const packets = optCount('TotPkts', get('TotPkts'));
    if (packets !== undefined) flow.packets = packets;
    const bytes = optCount('TotBytes', get('TotBytes'));
    if (bytes !== undefined) flow.bytes = bytes;
    const state = get('State');
    if (state) {
      const outcome = argusOutcome(state.trim());
      if (outcome) flow.outcome = outcome;
    }
    const label = get('Label');
    if (label) flow.label = label;
    return { kind: 'flows', flows: [flow] };
  }
}

export function argusTime(ts: number): string {
  const iso = isoMicros(ts);
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)} ${iso.slice(11, 26)}`;
}

export function writeArgusPort(p: number | undefined, proto: number): string {
  if (p === undefined) return '';
  return proto === 1 || proto === 58 ? `0x${p.toString(16).padStart(4, '0')}` : String(p);
}

function writeRow(f: FlowRecord): string {
  const opt = (v: number | string | undefined): string => (v === undefined ? '' : String(v));
  return [
    argusTime(f.ts),
    f.durationMs === undefined ? '' : (f.durationMs / 1000).toFixed(6),
    protoName(f.proto),
    f.src,
    writeArgusPort(f.srcPort, f.proto),
    '   ->',
    f.dst,
    writeArgusPort(f.dstPort, f.proto),
    argusStateFor(f.outcome, f.proto),
    '0',
    '',
    opt(f.packets),
    opt(f.bytes),
    '',
    opt(f.label),
  ].join(',');
}

function sniff(lines: readonly string[]): number {
  try {
    for (const line of lines.slice(0, 20)) {
      if (line.startsWith('StartTime,') && line.includes('SrcAddr')) return 0.99;
    }
    const data = dataLines(lines, 10);
    if (data.length === 0) return 0;
    const hits = data.filter((l) => {
      const cells = l.split(',');
      return cells.length >= 14 && ARGUS_TIME.test(cells[0] ?? '');
    }).length;
    return (0.8 * hits) / data.length;
  } catch {
    return 0;
  }
}

export const argusCsv: FlowFormat = {
  name: 'argus-csv',
  description: 'Argus bidirectional flows as CSV (CTU-13 binetflow: StartTime,Dur,Proto,SrcAddr,…,Label)',
  sniff,
  createParser: (options) => new ArgusParser(options?.header),
  write: (flows) => [ARGUS_COLUMNS.join(','), ...flows.map(writeRow)],
};
