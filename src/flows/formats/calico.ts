/**
 * `calico`: Calico Enterprise / Calico Cloud flow logs (flows.log), one JSON object per line,
 * each an aggregation window for one flow key.
 *
 * Decisions (ADR 0003):
 * - Aggregated records (source_ip or dest_ip `-`, the default aggregation for allowed flows) have
 *   no address to key a flow on: they are skips with reason `calico-aggregated`, counted, not
 *   dead letters. Configure flowLogsFileAggregationKindForAllowed/ForDenied 0 to get addresses.
 * - start_time/end_time bound the aggregation window, not the flow, so durationMs stays unset.
 * - reporter src → egress, dst → ingress (as seen by the reporting endpoint).
 * - Workload endpoint (`wep`) identity: namespace, name (unless aggregated) as pod, and
 *   name_aggr as workload with the `-*` and the pod-template-hash suffix removed.
 * - Felix policy syslog lines have no year in their timestamp, so they are not read; they are
 *   dead-lettered as unknown-format with a pointer to the flow log.
 */
import type { FlowRecord, K8sIdentity } from '../flow-record.js';
import { FieldError, ip, isBlank, isUnset, lineParser, optPort, sumCounts, tsFromSeconds } from './fields.js';
import { objectAt, parseJsonObject, sniffJson, stringAt, type JsonObject } from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { action, labelList, labelStrings, proto, protoName } from './vocab.js';

/** Deployment-ish name from a Calico aggregated name such as `checkoutservice-598d5b586d-*`. */
export function workloadFromAggr(aggr: string, labels: Record<string, string> | undefined): string {
  let name = aggr.endsWith('-*') ? aggr.slice(0, -2) : aggr.endsWith('*') ? aggr.slice(0, -1) : aggr;
  const hash = labels?.['pod-template-hash'];
  if (hash && name.endsWith(`-${hash}`)) name = name.slice(0, -hash.length - 1);
  return name;
}

function identity(o: JsonObject, side: 'source' | 'dest'): K8sIdentity | undefined {
  const type = o[`${side}_type`];
  if (!isUnset(type) && type !== 'wep') return undefined;
  const namespace = stringAt(o, `${side}_namespace`);
  if (!namespace || namespace === '-') return undefined;
  const id: K8sIdentity = { namespace };
  const labels = labelList(objectAt(o, `${side}_labels`)?.labels);
  const name = stringAt(o, `${side}_name`);
  if (name && name !== '-' && !name.includes('*')) id.pod = name;
  const aggr = stringAt(o, `${side}_name_aggr`);
  if (aggr && aggr !== '-') id.workload = workloadFromAggr(aggr, labels);
  if (labels) id.labels = labels;
  return id;
}

function toFlow(o: JsonObject): LineOutcome {
  if (o.source_ip === '-' || o.dest_ip === '-') return { kind: 'skip', reason: 'calico-aggregated' };
  const flow: FlowRecord = {
    ts: tsFromSeconds('start_time', o.start_time),
    src: ip('source_ip', o.source_ip),
    dst: ip('dest_ip', o.dest_ip),
    proto: isUnset(o.proto) ? 0 : proto('proto', o.proto),
    action: action('action', o.action),
  };
  const srcPort = optPort('source_port', o.source_port);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = optPort('dest_port', o.dest_port);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  const bytes = sumCounts('bytes_in+bytes_out', o.bytes_in, o.bytes_out);
  if (bytes !== undefined) flow.bytes = bytes;
  const packets = sumCounts('packets_in+packets_out', o.packets_in, o.packets_out);
  if (packets !== undefined) flow.packets = packets;
  if (o.reporter === 'src') flow.direction = 'egress';
  else if (o.reporter === 'dst') flow.direction = 'ingress';
  const srcK8s = identity(o, 'source');
  if (srcK8s) flow.srcK8s = srcK8s;
  const dstK8s = identity(o, 'dest');
  if (dstK8s) flow.dstK8s = dstK8s;
  return { kind: 'flows', flows: [flow] };
}

function parseLine(line: string): LineOutcome {
  if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
  if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
  if (line.charCodeAt(0) !== 123 /* { */ && line.includes('calico-felix')) {
    throw new FieldError(
      'unknown-format',
      'Calico Felix policy syslog lines are not read (no year in the timestamp); use the Calico flow log',
    );
  }
  return toFlow(parseJsonObject(line));
}

function writeSide(o: JsonObject, side: 'source' | 'dest', id: K8sIdentity | undefined): void {
  o[`${side}_name`] = id?.pod ?? '-';
  o[`${side}_name_aggr`] = id?.workload ?? '-';
  o[`${side}_namespace`] = id?.namespace ?? '-';
  o[`${side}_type`] = id ? 'wep' : 'net';
  o[`${side}_labels`] = id?.labels ? { labels: labelStrings(id.labels) } : null;
}

function writeLine(f: FlowRecord): string {
  const start = Math.floor(f.ts / 1000);
  const o: JsonObject = {
    start_time: start,
    end_time: start + Math.ceil((f.durationMs ?? 0) / 1000),
    source_ip: f.src,
    source_port: f.srcPort ?? null,
  };
  writeSide(o, 'source', f.srcK8s);
  o.dest_ip = f.dst;
  o.dest_port = f.dstPort ?? null;
  writeSide(o, 'dest', f.dstK8s);
  o.proto = protoName(f.proto);
  o.action = f.action;
  if (f.direction) o.reporter = f.direction === 'egress' ? 'src' : 'dst';
  o.bytes_in = f.bytes ?? null;
  o.bytes_out = f.bytes === undefined ? null : 0;
  o.packets_in = f.packets ?? null;
  o.packets_out = f.packets === undefined ? null : 0;
  return JSON.stringify(o);
}

export const calico: FlowFormat = {
  name: 'calico',
  description: 'Calico Enterprise flow logs (flows.log JSON per line); aggregated records are skipped',
  sniff: (lines) =>
    sniffJson(lines, (o) => 'start_time' in o && 'source_ip' in o && 'dest_ip' in o && 'action' in o),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeLine),
};
