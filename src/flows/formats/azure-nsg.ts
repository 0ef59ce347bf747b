/**
 * `azure-nsg`: Azure NSG flow logs (version 2, version 1 tuples also read). One JSON record per
 * line, or a `{"records":[...]}` blob on one line. Every flow tuple becomes one FlowRecord, so a
 * long connection yields a begin (B), continuation (C) and end (E) record: counters on C/E are
 * deltas since the previous tuple, and B tuples carry none (ADR 0003).
 *
 * Tuple: epoch_s,src,dst,sport,dport,T|U,I|O,A|D[,B|C|E,pkts_s2d,bytes_s2d,pkts_d2s,bytes_d2s]
 */
import type { FlowRecord } from '../flow-record.js';
import { invalid, ip, isBlank, lineParser, malformed, optPort, sumCounts, tsFromSeconds } from './fields.js';
import { arrayAt, isObject, objectAt, parseJsonObject, sniffJson, type JsonObject } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { isoMicros } from './vocab.js';

/** `{"records":[...]}` blob or a single record. */
export function azureRecords(o: JsonObject): unknown[] {
  const records = o.records;
  return Array.isArray(records) ? records : [o];
}

function protoFromLetter(field: string, v: string): number {
  if (v === 'T') return 6;
  if (v === 'U') return 17;
  // Not in Microsoft's schema; written by `write` for protocols NSG logs cannot name.
  if (/^\d{1,3}$/.test(v) && Number(v) <= 255) return Number(v);
  return invalid(field, v, 'is not T|U');
}

function tupleToFlow(path: string, tuple: unknown): FlowRecord {
  if (typeof tuple !== 'string') return invalid(path, tuple, 'is not a tuple string');
  const t = tuple.split(',');
  if (t.length !== 8 && t.length !== 13) {
    return malformed(`${path} has ${t.length} fields, expected 8 (v1) or 13 (v2)`);
  }
  const decision = t[7];
  if (decision !== 'A' && decision !== 'D') return invalid(`${path}.decision`, decision, 'is not A|D');
  const dir = t[6];
  if (dir !== 'I' && dir !== 'O') return invalid(`${path}.direction`, dir, 'is not I|O');
  const flow: FlowRecord = {
    ts: tsFromSeconds(`${path}.time`, t[0]),
    src: ip(`${path}.srcIP`, t[1]),
    dst: ip(`${path}.dstIP`, t[2]),
    proto: protoFromLetter(`${path}.protocol`, t[5] ?? ''),
    action: decision === 'A' ? 'allow' : 'deny',
    direction: dir === 'I' ? 'ingress' : 'egress',
  };
  const srcPort = optPort(`${path}.srcPort`, t[3]);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = optPort(`${path}.dstPort`, t[4]);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  if (t.length === 13) {
    const state = t[8];
    if (state !== 'B' && state !== 'C' && state !== 'E')
      return invalid(`${path}.state`, state, 'is not B|C|E');
    const packets = sumCounts(`${path}.packets`, t[9], t[11]);
    if (packets !== undefined) flow.packets = packets;
    const bytes = sumCounts(`${path}.bytes`, t[10], t[12]);
    if (bytes !== undefined) flow.bytes = bytes;
  }
  return flow;
}

/**
 * The flows of one Azure record: every `<top>.flows[i].<group>[j].flowTuples[k]` (NSG: properties
 * and flows; VNet: flowRecords and flowGroups) turned into a flow by `toFlow`, given its path.
 */
function recordTuples(record: unknown, prefix: string, shape: AzureShape, out: FlowRecord[]): void {
  const { top, group, toFlow } = shape;
  if (!isObject(record)) return malformed(`${prefix || 'record'} is not an object`);
  const outer = arrayAt(objectAt(record, top), 'flows');
  if (!outer) return invalid(`${prefix}${top}.flows`, record[top], 'is missing');
  outer.forEach((o, oi) => {
    const groups = arrayAt(isObject(o) ? o : undefined, group) ?? [];
    groups.forEach((g, gi) => {
      const tuples = arrayAt(isObject(g) ? g : undefined, 'flowTuples') ?? [];
      tuples.forEach((tuple, ti) => {
        out.push(toFlow(`${prefix}${top}.flows[${oi}].${group}[${gi}].flowTuples[${ti}]`, tuple));
      });
    });
  });
}

/** Where an Azure flow log keeps its tuples, and how one tuple becomes a flow. */
export interface AzureShape {
  top: string;
  group: string;
  toFlow: (path: string, tuple: unknown) => FlowRecord;
}

/** A line of an Azure flow log: one JSON object holding `records` (or one record); each tuple a flow. */
export function azureLineParser(shape: AzureShape): (line: string) => LineOutcome {
  return (line) => {
    if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
    if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
    const o = parseJsonObject(line);
    const records = azureRecords(o);
    const flows: FlowRecord[] = [];
    records.forEach((r, i) =>
      recordTuples(r, records.length === 1 && r === o ? '' : `records[${i}].`, shape, flows),
    );
    if (flows.length === 0) return { kind: 'skip', reason: 'no-tuples' };
    return { kind: 'flows', flows };
  };
}

const parseLine = azureLineParser({ top: 'properties', group: 'flows', toFlow: tupleToFlow });

function writeLine(f: FlowRecord): string {
  const protoField = f.proto === 6 ? 'T' : f.proto === 17 ? 'U' : String(f.proto);
  const opt = (v: number | undefined): string => (v === undefined ? '' : String(v));
  const state = f.bytes === undefined && f.packets === undefined ? 'B' : 'E';
  const tuple = [
    Math.floor(f.ts / 1000),
    f.src,
    f.dst,
    opt(f.srcPort),
    opt(f.dstPort),
    protoField,
    f.direction === 'egress' ? 'O' : 'I',
    f.action === 'allow' ? 'A' : 'D',
    state,
    opt(f.packets),
    opt(f.bytes),
    '',
    '',
  ].join(',');
  return JSON.stringify({
    time: isoMicros(f.ts),
    category: 'NetworkSecurityGroupFlowEvent',
    operationName: 'NetworkSecurityGroupFlowEvents',
    properties: {
      Version: 2,
      flows: [{ rule: 'foresight', flows: [{ mac: '000000000000', flowTuples: [tuple] }] }],
    },
  });
}

function looksLikeNsg(o: JsonObject): boolean {
  const first = azureRecords(o)[0];
  if (!isObject(first)) return false;
  return (
    first.category === 'NetworkSecurityGroupFlowEvent' ||
    arrayAt(objectAt(first, 'properties'), 'flows') !== undefined
  );
}

export const azureNsg: FlowFormat = {
  name: 'azure-nsg',
  description: 'Azure NSG flow logs v2 (JSON record per line or {"records":[...]}), one flow per tuple',
  sniff: (lines) => sniffJson(lines, looksLikeNsg),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeLine),
};
