/**
 * `azure-vnet`: Azure VNet flow logs (flowLogVersion 4), the successor of NSG flow logs. One JSON
 * record per line or a `{"records":[...]}` blob. Path flowRecords.flows[].flowGroups[].flowTuples[];
 * one FlowRecord per tuple. There is no decision field: the flow state `D` means denied.
 *
 * Tuple: epoch_ms,src,dst,sport,dport,proto(IANA),I|O,B|C|E|D,encryption,pkts_s2d,bytes_s2d,pkts_d2s,bytes_d2s
 */
import type { FlowRecord } from '../flow-record.js';
import { invalid, ip, lineParser, malformed, optPort, sumCounts, tsFromMillis } from './fields.js';
import { azureLineParser, azureRecords } from './azure-nsg.js';
import { arrayAt, isObject, objectAt, sniffJson, type JsonObject } from './json-fields.js';
import type { FlowFormat, FlowParser } from './types.js';
import { isoMicros, proto } from './vocab.js';

function tupleToFlow(path: string, tuple: unknown): FlowRecord {
  if (typeof tuple !== 'string') return invalid(path, tuple, 'is not a tuple string');
  const t = tuple.split(',');
  if (t.length !== 13) return malformed(`${path} has ${t.length} fields, expected 13`);
  const dir = t[6];
  if (dir !== 'I' && dir !== 'O') return invalid(`${path}.direction`, dir, 'is not I|O');
  const state = t[7];
  if (state !== 'B' && state !== 'C' && state !== 'E' && state !== 'D') {
    return invalid(`${path}.state`, state, 'is not B|C|E|D');
  }
  const flow: FlowRecord = {
    ts: tsFromMillis(`${path}.time`, t[0]),
    src: ip(`${path}.srcIP`, t[1]),
    dst: ip(`${path}.dstIP`, t[2]),
    proto: proto(`${path}.protocol`, t[5]),
    action: state === 'D' ? 'deny' : 'allow',
    direction: dir === 'I' ? 'ingress' : 'egress',
  };
  const srcPort = optPort(`${path}.srcPort`, t[3]);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = optPort(`${path}.dstPort`, t[4]);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  const packets = sumCounts(`${path}.packets`, t[9], t[11]);
  if (packets !== undefined) flow.packets = packets;
  const bytes = sumCounts(`${path}.bytes`, t[10], t[12]);
  if (bytes !== undefined) flow.bytes = bytes;
  return flow;
}

const parseLine = azureLineParser({ top: 'flowRecords', group: 'flowGroups', toFlow: tupleToFlow });

function writeLine(f: FlowRecord): string {
  const opt = (v: number | undefined): string => (v === undefined ? '' : String(v));
  const state = f.action === 'deny' ? 'D' : f.bytes === undefined && f.packets === undefined ? 'B' : 'E';
  const tuple = [
    Math.floor(f.ts),
    f.src,
    f.dst,
    opt(f.srcPort),
    opt(f.dstPort),
    f.proto,
    f.direction === 'egress' ? 'O' : 'I',
    state,
    'NX',
    opt(f.packets),
    opt(f.bytes),
    f.packets === undefined ? '' : '0',
    f.bytes === undefined ? '' : '0',
  ].join(',');
  return JSON.stringify({
    time: isoMicros(f.ts),
    flowLogVersion: 4,
    category: 'FlowLogFlowEvent',
    operationName: 'FlowLogFlowEvent',
    flowRecords: {
      flows: [{ aclID: 'foresight', flowGroups: [{ rule: 'foresight', flowTuples: [tuple] }] }],
    },
  });
}

function looksLikeVnet(o: JsonObject): boolean {
  const first = azureRecords(o)[0];
  return isObject(first) && arrayAt(objectAt(first, 'flowRecords'), 'flows') !== undefined;
}

export const azureVnet: FlowFormat = {
  name: 'azure-vnet',
  description: 'Azure VNet flow logs v4 (JSON record per line or {"records":[...]}), one flow per tuple',
  sniff: (lines) => sniffJson(lines, looksLikeVnet),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeLine),
};
