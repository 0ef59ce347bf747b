/**
 * `unsw-nb15`: the 49-column UNSW-NB15 CSV (UNSW-NB15_1..4.csv). The distribution files have no
 * header, so rows of 49 columns are read in the official order; the official header line (with
 * its `ct_src_ ltm` typo) is recognised and skipped. The derived training/testing CSVs have other
 * columns and no addresses, and are not this format.
 *
 * Decisions (ADR 0003): Stime is epoch seconds; dur seconds; bytes sbytes+dbytes, packets
 * Spkts+Dpkts; `state` is Argus's summary state (argus-state.ts); action is `allow` (a sensor,
 * not a firewall). label 1 → `attack:<attack_cat>` (category trimmed, verbatim otherwise, e.g.
 * `attack:Exploits`; `attack:unknown` when empty), label 0 → `normal`.
 */
import { isMaliciousLabel, type FlowRecord } from '../flow-record.js';
import {
  invalid,
  ip,
  isBlank,
  lineParser,
  malformed,
  optDurationFromSeconds,
  sumCounts,
  tsFromSeconds,
} from './fields.js';
import { argusPort, writeArgusPort } from './argus-csv.js';
import { argusOutcome, argusStateFor } from './argus-state.js';
import { dataLines } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { protoByName, protoName } from './vocab.js';

// prettier-ignore
export const UNSW_COLUMNS = [
  'srcip', 'sport', 'dstip', 'dsport', 'proto', 'state', 'dur', 'sbytes', 'dbytes', 'sttl', 'dttl',
  'sloss', 'dloss', 'service', 'Sload', 'Dload', 'Spkts', 'Dpkts', 'swin', 'dwin', 'stcpb', 'dtcpb',
  'smeansz', 'dmeansz', 'trans_depth', 'res_bdy_len', 'Sjit', 'Djit', 'Stime', 'Ltime', 'Sintpkt',
  'Dintpkt', 'tcprtt', 'synack', 'ackdat', 'is_sm_ips_ports', 'ct_state_ttl', 'ct_flw_http_mthd',
  'is_ftp_login', 'ct_ftp_cmd', 'ct_srv_src', 'ct_srv_dst', 'ct_dst_ltm', 'ct_src_ ltm',
  'ct_src_dport_ltm', 'ct_dst_sport_ltm', 'ct_dst_src_ltm', 'attack_cat', 'label',
];

const C = Object.fromEntries(UNSW_COLUMNS.map((name, i) => [name, i])) as Record<string, number>;
const col = (name: string): number => C[name] ?? -1;
const SRCIP = col('srcip');
const SPORT = col('sport');
const DSTIP = col('dstip');
const DSPORT = col('dsport');
const PROTO = col('proto');
const STATE = col('state');
const DUR = col('dur');
const SBYTES = col('sbytes');
const DBYTES = col('dbytes');
const SPKTS = col('Spkts');
const DPKTS = col('Dpkts');
const STIME = col('Stime');
const LTIME = col('Ltime');
const ATTACK_CAT = col('attack_cat');
const LABEL = col('label');

export function unswLabel(label: string | undefined, attackCat: string | undefined): string | undefined {
  const l = label?.trim();
  if (l === '1') return `attack:${attackCat?.trim() || 'unknown'}`;
  if (l === '0') return 'normal';
  if (l === undefined || l === '') return undefined;
  return invalid('label', label, 'is not 0|1');
}

function parseLine(line: string): LineOutcome {
  if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
  if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
  if (line.startsWith('srcip,')) return { kind: 'header' };
  const cells = line.split(',');
  if (cells.length !== UNSW_COLUMNS.length) {
    return malformed(`expected ${UNSW_COLUMNS.length} UNSW-NB15 columns, got ${cells.length}`);
  }
  const protoRaw = cells[PROTO]?.trim();
  const flow: FlowRecord = {
    ts: tsFromSeconds('Stime', cells[STIME]),
    src: ip('srcip', cells[SRCIP]),
    dst: ip('dstip', cells[DSTIP]),
    proto: protoRaw ? (protoByName(protoRaw) ?? 0) : 0,
    action: 'allow',
  };
  const srcPort = argusPort('sport', cells[SPORT]);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = argusPort('dsport', cells[DSPORT]);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  const dur = optDurationFromSeconds('dur', cells[DUR]);
  if (dur !== undefined) flow.durationMs = dur;
  const bytes = sumCounts('sbytes+dbytes', cells[SBYTES], cells[DBYTES]);
  if (bytes !== undefined) flow.bytes = bytes;
  const packets = sumCounts('Spkts+Dpkts', cells[SPKTS], cells[DPKTS]);
  if (packets !== undefined) flow.packets = packets;
  const state = cells[STATE]?.trim();
  if (state) {
    const outcome = argusOutcome(state);
    if (outcome) flow.outcome = outcome;
  }
  const label = unswLabel(cells[LABEL], cells[ATTACK_CAT]);
  if (label !== undefined) flow.label = label;
  return { kind: 'flows', flows: [flow] };
}

function writeRow(f: FlowRecord): string {
  const cells: string[] = new Array<string>(UNSW_COLUMNS.length).fill('0');
  const opt = (v: number | undefined): string => (v === undefined ? '' : String(v));
  const stime = Math.floor(f.ts / 1000);
  cells[SRCIP] = f.src;
  cells[SPORT] = writeArgusPort(f.srcPort, f.proto);
  cells[DSTIP] = f.dst;
  cells[DSPORT] = writeArgusPort(f.dstPort, f.proto);
  cells[PROTO] = protoName(f.proto);
  cells[STATE] = argusStateFor(f.outcome, -1);
  cells[DUR] = f.durationMs === undefined ? '' : String(f.durationMs / 1000);
  cells[SBYTES] = opt(f.bytes);
  cells[DBYTES] = f.bytes === undefined ? '' : '0';
  cells[SPKTS] = opt(f.packets);
  cells[DPKTS] = f.packets === undefined ? '' : '0';
  cells[col('service')] = '-';
  cells[STIME] = String(stime);
  cells[LTIME] = String(stime + Math.floor((f.durationMs ?? 0) / 1000));
  const label = f.label;
  if (label === undefined) cells[ATTACK_CAT] = cells[LABEL] = '';
  else if (isMaliciousLabel(label)) {
    const cat = label.startsWith('attack:') ? label.slice('attack:'.length) : label;
    cells[ATTACK_CAT] = cat.replace(/,/g, ' ');
    cells[LABEL] = '1';
  } else {
    cells[ATTACK_CAT] = '';
    cells[LABEL] = '0';
  }
  return cells.join(',');
}

function sniff(lines: readonly string[]): number {
  try {
    for (const line of lines.slice(0, 5)) {
      if (line.startsWith('srcip,sport,dstip,dsport')) return 0.99;
    }
    const data = dataLines(lines, 10);
    if (data.length === 0) return 0;
    const hits = data.filter((l) => {
      const cells = l.split(',');
      return cells.length === UNSW_COLUMNS.length && /^\d{9,10}$/.test(cells[STIME] ?? '');
    }).length;
    return (0.85 * hits) / data.length;
  } catch {
    return 0;
  }
}

export const unswNb15: FlowFormat = {
  name: 'unsw-nb15',
  description: 'UNSW-NB15 49-column CSV (headerless distribution files or with the official header)',
  sniff,
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => [UNSW_COLUMNS.join(','), ...flows.map(writeRow)],
};
