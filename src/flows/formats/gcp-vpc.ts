/**
 * `gcp-vpc`: Google Cloud VPC Flow Logs as Cloud Logging LogEntry JSON, one entry per line.
 * The data is under jsonPayload: connection{src_ip,src_port,dest_ip,dest_port,protocol},
 * start_time/end_time (RFC 3339), bytes_sent/packets_sent (int64 as strings), reporter, and for
 * GKE src_/dest_gke_details.
 *
 * VPC Flow Logs carry no decision: records are `allow`. Entries from Firewall Rules Logging have
 * the same connection shape plus jsonPayload.disposition (ALLOWED|DENIED), which is honoured.
 * Counts are one direction and sampled; nothing here scales them (ADR 0003).
 */
import type { FlowRecord, K8sIdentity } from '../flow-record.js';
import {
  durationMs,
  invalid,
  ip,
  isBlank,
  isUnset,
  lineParser,
  missing,
  optCount,
  optPort,
} from './fields.js';
import { objectAt, parseJsonObject, sniffJson, stringAt, type JsonObject } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { isoMicros, proto, rfc3339 } from './vocab.js';

function gkeIdentity(details: JsonObject | undefined): K8sIdentity | undefined {
  const pod = objectAt(details, 'pod');
  const namespace = stringAt(pod, 'pod_namespace');
  if (!namespace) return undefined;
  const id: K8sIdentity = { namespace };
  const name = stringAt(pod, 'pod_name');
  if (name) id.pod = name;
  const workload = stringAt(objectAt(pod, 'pod_workload'), 'workload_name');
  if (workload) id.workload = workload;
  return id;
}

function direction(p: JsonObject): FlowRecord['direction'] {
  const reporter = p.reporter;
  if (reporter === 'SRC' || reporter === 'SRC_GATEWAY') return 'egress';
  if (reporter === 'DEST' || reporter === 'DEST_GATEWAY') return 'ingress';
  const rule = stringAt(objectAt(p, 'rule_details'), 'direction');
  if (rule === 'EGRESS') return 'egress';
  if (rule === 'INGRESS') return 'ingress';
  return undefined;
}

function toFlow(o: JsonObject): FlowRecord {
  const p = objectAt(o, 'jsonPayload');
  if (!p) return missing('jsonPayload');
  const c = objectAt(p, 'connection');
  if (!c) return missing('jsonPayload.connection');
  const start = isUnset(p.start_time)
    ? rfc3339('timestamp', o.timestamp)
    : rfc3339('jsonPayload.start_time', p.start_time);
  const disposition = p.disposition;
  if (!isUnset(disposition) && disposition !== 'ALLOWED' && disposition !== 'DENIED') {
    return invalid('jsonPayload.disposition', disposition, 'is not ALLOWED|DENIED');
  }
  const flow: FlowRecord = {
    ts: start,
    src: ip('jsonPayload.connection.src_ip', c.src_ip),
    dst: ip('jsonPayload.connection.dest_ip', c.dest_ip),
    proto: isUnset(c.protocol) ? 0 : proto('jsonPayload.connection.protocol', c.protocol),
    action: disposition === 'DENIED' ? 'deny' : 'allow',
  };
  const srcPort = optPort('jsonPayload.connection.src_port', c.src_port);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = optPort('jsonPayload.connection.dest_port', c.dest_port);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  if (!isUnset(p.start_time) && !isUnset(p.end_time)) {
    const end = rfc3339('jsonPayload.end_time', p.end_time);
    flow.durationMs = durationMs('jsonPayload.end_time', Math.round((end - start) * 1000) / 1000, p.end_time);
  }
  const bytes = optCount('jsonPayload.bytes_sent', p.bytes_sent);
  if (bytes !== undefined) flow.bytes = bytes;
  const packets = optCount('jsonPayload.packets_sent', p.packets_sent);
  if (packets !== undefined) flow.packets = packets;
  const dir = direction(p);
  if (dir) flow.direction = dir;
  const srcK8s = gkeIdentity(objectAt(p, 'src_gke_details'));
  if (srcK8s) flow.srcK8s = srcK8s;
  const dstK8s = gkeIdentity(objectAt(p, 'dest_gke_details'));
  if (dstK8s) flow.dstK8s = dstK8s;
  return flow;
}

function parseLine(line: string): LineOutcome {
  if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
  if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
  return { kind: 'flows', flows: [toFlow(parseJsonObject(line))] };
}

function writeGke(id: K8sIdentity | undefined): JsonObject | undefined {
  if (!id) return undefined;
  const pod: JsonObject = { pod_namespace: id.namespace };
  if (id.pod !== undefined) pod.pod_name = id.pod;
  if (id.workload !== undefined) pod.pod_workload = { workload_name: id.workload };
  return { pod };
}

function writeLine(f: FlowRecord, i: number): string {
  const connection: JsonObject = { src_ip: f.src, dest_ip: f.dst, protocol: f.proto };
  if (f.srcPort !== undefined) connection.src_port = f.srcPort;
  if (f.dstPort !== undefined) connection.dest_port = f.dstPort;
  const payload: JsonObject = { connection, start_time: isoMicros(f.ts) };
  if (f.durationMs !== undefined) payload.end_time = isoMicros(f.ts + f.durationMs);
  if (f.bytes !== undefined) payload.bytes_sent = String(f.bytes);
  if (f.packets !== undefined) payload.packets_sent = String(f.packets);
  if (f.direction) payload.reporter = f.direction === 'egress' ? 'SRC' : 'DEST';
  if (f.action === 'deny') payload.disposition = 'DENIED';
  const src = writeGke(f.srcK8s);
  if (src) payload.src_gke_details = src;
  const dst = writeGke(f.dstK8s);
  if (dst) payload.dest_gke_details = dst;
  return JSON.stringify({
    insertId: `foresight-${i}`,
    jsonPayload: payload,
    logName: 'projects/foresight/logs/compute.googleapis.com%2Fvpc_flows',
    resource: { type: 'gce_subnetwork' },
    timestamp: isoMicros(f.ts),
  });
}

export const gcpVpc: FlowFormat = {
  name: 'gcp-vpc',
  description: 'GCP VPC Flow Logs (Cloud Logging LogEntry JSON per line); no decision field: allow',
  sniff: (lines) => sniffJson(lines, (o) => objectAt(objectAt(o, 'jsonPayload'), 'connection') !== undefined),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeLine),
};
