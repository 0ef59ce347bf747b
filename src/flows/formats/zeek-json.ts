/**
 * `zeek-json`: Zeek conn.log written with `LogAscii::use_json`, one record per line. Field names
 * are flat (`id.orig_h`); the nested `{"id":{"orig_h":..}}` form and ISO 8601 `ts` (JSON::TS_ISO8601)
 * are read too. The conn semantics are in zeek-conn.ts.
 */
import type { FlowRecord } from '../flow-record.js';
import { isBlank, lineParser } from './fields.js';
import { objectAt, parseJsonObject, sniffJson, type JsonObject } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { connToFlow, flowToConn } from './zeek-conn.js';

function parseLine(line: string): LineOutcome {
  if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
  if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
  const o = parseJsonObject(line);
  const id = objectAt(o, 'id');
  const flow = connToFlow({
    ts: o.ts,
    origH: o['id.orig_h'] ?? id?.orig_h,
    origP: o['id.orig_p'] ?? id?.orig_p,
    respH: o['id.resp_h'] ?? id?.resp_h,
    respP: o['id.resp_p'] ?? id?.resp_p,
    proto: o.proto,
    duration: o.duration,
    origBytes: o.orig_bytes,
    respBytes: o.resp_bytes,
    origIpBytes: o.orig_ip_bytes,
    respIpBytes: o.resp_ip_bytes,
    connState: o.conn_state,
    localOrig: o.local_orig,
    localResp: o.local_resp,
    origPkts: o.orig_pkts,
    respPkts: o.resp_pkts,
    label: o.label,
  });
  return { kind: 'flows', flows: [flow] };
}

function writeLine(f: FlowRecord, i: number): string {
  const z = flowToConn(f);
  const o: JsonObject = {
    ts: Number(z.ts),
    uid: `CFs${i.toString(36)}`,
    'id.orig_h': f.src,
    'id.orig_p': f.srcPort,
    'id.resp_h': f.dst,
    'id.resp_p': f.dstPort,
    proto: z.proto,
    duration: z.duration === undefined ? undefined : Number(z.duration),
    orig_ip_bytes: f.bytes,
    resp_ip_bytes: f.bytes === undefined ? undefined : 0,
    conn_state: z.connState,
    local_orig: z.localOrig,
    local_resp: z.localResp,
    orig_pkts: f.packets,
    resp_pkts: f.packets === undefined ? undefined : 0,
    label: f.label,
  };
  return JSON.stringify(o);
}

function looksLikeZeekConn(o: JsonObject): boolean {
  return (
    'ts' in o && ('id.orig_h' in o || objectAt(o, 'id') !== undefined) && ('uid' in o || 'conn_state' in o)
  );
}

export const zeekJson: FlowFormat = {
  name: 'zeek-json',
  description: 'Zeek conn.log as JSON lines (LogAscii::use_json)',
  sniff: (lines) => sniffJson(lines, looksLikeZeekConn),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeLine),
};
