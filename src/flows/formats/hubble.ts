/**
 * `hubble`: Cilium Hubble flows as JSON, either the exporter / `hubble observe -o json` envelope
 * `{"flow":{...},"node_name":..,"time":..}` or a bare flow object. A Hubble flow is an event per
 * packet or verdict, not an aggregate: there are no byte or packet counts.
 *
 * verdict FORWARDED/REDIRECTED/TRANSLATED/TRACED/AUDIT → allow, DROPPED/ERROR → deny. TCP flags:
 * RST → rejected, SYN without ACK → attempt, other flags → established. ICMP type/code go into
 * srcPort/dstPort (as Zeek does). Source and destination are the packet's, also for replies
 * (`is_reply`), which we do not swap. Pod labels come as `k8s:key=value`; other label sources
 * (`reserved:`, `cidr:`) are not Kubernetes labels and are dropped.
 */
import { isIPv6 } from 'node:net';
import type { ConnOutcome, FlowRecord, K8sIdentity } from '../flow-record.js';
import { invalid, ip, isBlank, isUnset, lineParser, malformed, optPort } from './fields.js';
import {
  arrayAt,
  isObject,
  objectAt,
  parseJsonObject,
  sniffJson,
  stringAt,
  type JsonObject,
} from './json-fields.js';
import type { FlowFormat, FlowParser, LineOutcome } from './types.js';
import { isoMicros, labelList, labelStrings, rfc3339 } from './vocab.js';

const ALLOW = new Set(['FORWARDED', 'REDIRECTED', 'TRANSLATED', 'TRACED', 'AUDIT']);
const DENY = new Set(['DROPPED', 'ERROR']);
const NON_FLOW_EVENTS = ['lost_events', 'node_status', 'agent_event', 'debug_event'];

function identity(ep: JsonObject | undefined): K8sIdentity | undefined {
  const namespace = stringAt(ep, 'namespace');
  if (!namespace) return undefined;
  const id: K8sIdentity = { namespace };
  const pod = stringAt(ep, 'pod_name');
  if (pod) id.pod = pod;
  const workloads = arrayAt(ep, 'workloads');
  const first = workloads?.[0];
  const workload = isObject(first) ? stringAt(first, 'name') : undefined;
  if (workload) id.workload = workload;
  const labels = labelList(ep?.labels, 'k8s:');
  if (labels) id.labels = labels;
  return id;
}

function tcpOutcome(flags: JsonObject | undefined): ConnOutcome | undefined {
  if (!flags) return undefined;
  if (flags.RST === true) return 'rejected';
  if (flags.SYN === true && flags.ACK !== true) return 'attempt';
  return 'established';
}

/** Fills proto, ports and outcome from the `l4` object. */
function applyL4(flow: FlowRecord, l4: JsonObject | undefined): void {
  if (!l4) return;
  const setPorts = (o: JsonObject, srcKey: string, dstKey: string, label: string): void => {
    const sp = optPort(`flow.l4.${label}.${srcKey}`, o[srcKey]);
    if (sp !== undefined) flow.srcPort = sp;
    const dp = optPort(`flow.l4.${label}.${dstKey}`, o[dstKey]);
    if (dp !== undefined) flow.dstPort = dp;
  };
  const tcp = objectAt(l4, 'TCP');
  if (tcp) {
    flow.proto = 6;
    setPorts(tcp, 'source_port', 'destination_port', 'TCP');
    const outcome = tcpOutcome(objectAt(tcp, 'flags'));
    if (outcome) flow.outcome = outcome;
    return;
  }
  for (const [key, num] of [
    ['UDP', 17],
    ['SCTP', 132],
  ] as const) {
    const o = objectAt(l4, key);
    if (o) {
      flow.proto = num;
      setPorts(o, 'source_port', 'destination_port', key);
      return;
    }
  }
  for (const [key, num] of [
    ['ICMPv4', 1],
    ['ICMPv6', 58],
  ] as const) {
    const o = objectAt(l4, key);
    if (o) {
      flow.proto = num;
      setPorts(o, 'type', 'code', key);
      return;
    }
  }
}

function parseFlow(envelope: JsonObject): LineOutcome {
  let flow: JsonObject;
  if (isObject(envelope.flow)) flow = envelope.flow;
  else if ('verdict' in envelope || 'IP' in envelope) flow = envelope;
  else if (NON_FLOW_EVENTS.some((k) => k in envelope))
    return { kind: 'skip', reason: 'hubble-non-flow-event' };
  else return malformed('not a Hubble flow (no flow, verdict or IP)');
  const ipObj = objectAt(flow, 'IP');
  if (!ipObj) return { kind: 'skip', reason: 'non-ip' };
  const verdict = flow.verdict;
  let act: FlowRecord['action'];
  if (typeof verdict === 'string' && ALLOW.has(verdict)) act = 'allow';
  else if (typeof verdict === 'string' && DENY.has(verdict)) act = 'deny';
  else return invalid('flow.verdict', verdict, 'is not a known verdict');
  const ts = isUnset(flow.time) ? rfc3339('time', envelope.time) : rfc3339('flow.time', flow.time);
  const record: FlowRecord = {
    ts,
    src: ip('flow.IP.source', ipObj.source),
    dst: ip('flow.IP.destination', ipObj.destination),
    proto: 0,
    action: act,
  };
  applyL4(record, objectAt(flow, 'l4'));
  const dir = flow.traffic_direction;
  if (dir === 'INGRESS') record.direction = 'ingress';
  else if (dir === 'EGRESS') record.direction = 'egress';
  const srcK8s = identity(objectAt(flow, 'source'));
  if (srcK8s) record.srcK8s = srcK8s;
  const dstK8s = identity(objectAt(flow, 'destination'));
  if (dstK8s) record.dstK8s = dstK8s;
  return { kind: 'flows', flows: [record] };
}

function parseLine(line: string): LineOutcome {
  if (isBlank(line)) return { kind: 'skip', reason: 'blank' };
  if (line.charCodeAt(0) === 35 /* # */) return { kind: 'header' };
  return parseFlow(parseJsonObject(line));
}

function writeEndpoint(id: K8sIdentity | undefined): JsonObject {
  if (!id) return {};
  const ep: JsonObject = { namespace: id.namespace };
  if (id.labels) ep.labels = labelStrings(id.labels, 'k8s:');
  if (id.pod !== undefined) ep.pod_name = id.pod;
  if (id.workload !== undefined) ep.workloads = [{ name: id.workload }];
  return ep;
}

function writeL4(f: FlowRecord): JsonObject | undefined {
  const ports = (srcKey: string, dstKey: string): JsonObject => {
    const o: JsonObject = {};
    if (f.srcPort !== undefined) o[srcKey] = f.srcPort;
    if (f.dstPort !== undefined) o[dstKey] = f.dstPort;
    return o;
  };
  switch (f.proto) {
    case 6: {
      const tcp = ports('source_port', 'destination_port');
      if (f.outcome === 'attempt') tcp.flags = { SYN: true };
      else if (f.outcome === 'rejected') tcp.flags = { RST: true };
      else if (f.outcome === 'established') tcp.flags = { ACK: true };
      return { TCP: tcp };
    }
    case 17:
      return { UDP: ports('source_port', 'destination_port') };
    case 132:
      return { SCTP: ports('source_port', 'destination_port') };
    case 1:
      return { ICMPv4: ports('type', 'code') };
    case 58:
      return { ICMPv6: ports('type', 'code') };
    default:
      return undefined;
  }
}

function writeLine(f: FlowRecord): string {
  const time = isoMicros(f.ts);
  const flow: JsonObject = {
    time,
    verdict: f.action === 'allow' ? 'FORWARDED' : 'DROPPED',
    IP: { source: f.src, destination: f.dst, ipVersion: isIPv6(f.src) ? 'IPv6' : 'IPv4' },
  };
  const l4 = writeL4(f);
  if (l4) flow.l4 = l4;
  flow.source = writeEndpoint(f.srcK8s);
  flow.destination = writeEndpoint(f.dstK8s);
  flow.Type = 'L3_L4';
  flow.node_name = 'foresight';
  if (f.direction) flow.traffic_direction = f.direction === 'ingress' ? 'INGRESS' : 'EGRESS';
  flow.is_reply = false;
  return JSON.stringify({ flow, node_name: 'foresight', time });
}

function looksLikeHubble(o: JsonObject): boolean {
  const flow = isObject(o.flow) ? o.flow : o;
  return typeof flow.verdict === 'string' && (isObject(flow.IP) || isObject(flow.source));
}

export const hubble: FlowFormat = {
  name: 'hubble',
  description: 'Cilium Hubble flows (exporter / hubble observe -o json envelope, or bare flow objects)',
  sniff: (lines) => sniffJson(lines, looksLikeHubble),
  createParser(): FlowParser {
    return lineParser(parseLine);
  },
  write: (flows) => flows.map(writeLine),
};
