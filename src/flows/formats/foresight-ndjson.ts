/**
 * `foresight-ndjson`: Foresight's own line format, one JSON object per line. It is the seed's
 * minimal record (timestamp, source, destination, allowed/denied) with every optional FlowRecord
 * field beside it, and it is what the simulator writes by default, so `write` is lossless.
 */
import type { ConnOutcome, FlowRecord, K8sIdentity } from '../flow-record.js';
import {
  count,
  durationMs,
  invalid,
  ip,
  isBlank,
  isUnset,
  lineParser,
  missing,
  optPort,
  toNumber,
  tsFromMillis,
  tsFromSeconds,
} from './fields.js';
import { isObject, parseJsonObject, sniffJson, type JsonObject } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { action, isoMicros, proto, rfc3339 } from './vocab.js';

const OUTCOMES: ReadonlySet<string> = new Set<ConnOutcome>(['established', 'attempt', 'rejected']);
const NUMERIC = /^\d+(?:\.\d+)?$/;

/** Epoch numbers above 1e12 are milliseconds, below are seconds (1e12 ms is 2001-09-09). */
function timestamp(v: unknown): number {
  if (isUnset(v)) return missing('timestamp');
  if (typeof v === 'number' || (typeof v === 'string' && NUMERIC.test(v))) {
    const n = toNumber('timestamp', v);
    return n > 1e12 ? tsFromMillis('timestamp', v) : tsFromSeconds('timestamp', v);
  }
  return rfc3339('timestamp', v);
}

function k8sIdentity(field: string, v: unknown): K8sIdentity | undefined {
  if (isUnset(v)) return undefined;
  if (!isObject(v)) return invalid(field, v, 'is not an object');
  const ns = v.namespace;
  if (typeof ns !== 'string' || ns.length === 0) return invalid(`${field}.namespace`, ns, 'is not a name');
  const id: K8sIdentity = { namespace: ns };
  for (const key of ['pod', 'workload'] as const) {
    const s = v[key];
    if (isUnset(s)) continue;
    if (typeof s !== 'string') return invalid(`${field}.${key}`, s, 'is not a string');
    id[key] = s;
  }
  if (!isUnset(v.labels)) {
    if (!isObject(v.labels)) return invalid(`${field}.labels`, v.labels, 'is not an object');
    const labels: Record<string, string> = {};
    for (const [k, val] of Object.entries(v.labels)) {
      if (typeof val !== 'string') return invalid(`${field}.labels.${k}`, val, 'is not a string');
      labels[k] = val;
    }
    id.labels = labels;
  }
  return id;
}

function toFlow(o: JsonObject): FlowRecord {
  const flow: FlowRecord = {
    ts: timestamp(o.timestamp),
    src: ip('src_ip', o.src_ip),
    dst: ip('dst_ip', o.dst_ip),
    proto: isUnset(o.protocol) ? 0 : proto('protocol', o.protocol),
    action: action('action', o.action),
  };
  const srcPort = optPort('src_port', o.src_port);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = optPort('dst_port', o.dst_port);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  if (!isUnset(o.bytes)) flow.bytes = count('bytes', o.bytes);
  if (!isUnset(o.packets)) flow.packets = count('packets', o.packets);
  if (!isUnset(o.duration_ms)) {
    flow.durationMs = durationMs('duration_ms', toNumber('duration_ms', o.duration_ms), o.duration_ms);
  }
  if (!isUnset(o.outcome)) {
    if (typeof o.outcome !== 'string' || !OUTCOMES.has(o.outcome)) {
      return invalid('outcome', o.outcome, 'is not established|attempt|rejected');
    }
    flow.outcome = o.outcome as ConnOutcome;
  }
  if (!isUnset(o.direction)) {
    if (o.direction !== 'ingress' && o.direction !== 'egress') {
      return invalid('direction', o.direction, 'is not ingress|egress');
    }
    flow.direction = o.direction;
  }
  const srcK8s = k8sIdentity('src_k8s', o.src_k8s);
  if (srcK8s) flow.srcK8s = srcK8s;
  const dstK8s = k8sIdentity('dst_k8s', o.dst_k8s);
  if (dstK8s) flow.dstK8s = dstK8s;
  if (!isUnset(o.label)) {
    if (typeof o.label !== 'string') return invalid('label', o.label, 'is not a string');
    flow.label = o.label;
  }
  return flow;
}

function parseLine(line: string): LineOutcome {
  if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
  if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
  return { kind: 'flows', flows: [toFlow(parseJsonObject(line))] };
}

function writeIdentity(id: K8sIdentity): JsonObject {
  const out: JsonObject = { namespace: id.namespace };
  if (id.pod !== undefined) out.pod = id.pod;
  if (id.workload !== undefined) out.workload = id.workload;
  if (id.labels !== undefined) out.labels = { ...id.labels };
  return out;
}

/** Epoch ms as a number when it cannot be mistaken for seconds, else as an RFC 3339 string. */
function writeTimestamp(ts: number): number | string {
  if (ts > 1e12) return ts;
  return Number.isInteger(ts) ? new Date(ts).toISOString() : isoMicros(ts);
}

export function writeForesightLine(f: FlowRecord): string {
  const o: JsonObject = { timestamp: writeTimestamp(f.ts), src_ip: f.src, dst_ip: f.dst };
  if (f.srcPort !== undefined) o.src_port = f.srcPort;
  if (f.dstPort !== undefined) o.dst_port = f.dstPort;
  o.protocol = f.proto;
  o.action = f.action;
  if (f.bytes !== undefined) o.bytes = f.bytes;
  if (f.packets !== undefined) o.packets = f.packets;
  if (f.durationMs !== undefined) o.duration_ms = f.durationMs;
  if (f.outcome !== undefined) o.outcome = f.outcome;
  if (f.direction !== undefined) o.direction = f.direction;
  if (f.srcK8s) o.src_k8s = writeIdentity(f.srcK8s);
  if (f.dstK8s) o.dst_k8s = writeIdentity(f.dstK8s);
  if (f.label !== undefined) o.label = f.label;
  return JSON.stringify(o);
}

export const foresightNdjson: FlowFormat = {
  name: 'foresight-ndjson',
  description: 'Foresight NDJSON: {timestamp, src_ip, dst_ip, action, …} per line (simulator default)',
  sniff: (lines) =>
    sniffJson(lines, (o) => 'timestamp' in o && 'src_ip' in o && 'dst_ip' in o && 'action' in o),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeForesightLine),
};
