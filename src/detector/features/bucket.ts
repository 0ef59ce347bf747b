/**
 * One entity's running totals for one bucket (default 10 s). Buckets are the unit of event-time
 * bookkeeping; windows are computed by merging the buckets they span (window-vector.ts).
 */
import { PROTO, isMaliciousLabel, type FlowRecord } from '../../flows/flow-record.js';

/** Arrival times kept per peer per bucket, enough for the beaconing feature. */
const MAX_TIMES_PER_PEER = 32;
/** Distinct own addresses kept per entity (for enforcement and display). */
const MAX_ADDRESSES = 4;

/** Outcome bits of a source's flows to one monitored service in a bucket (scan test, ADR 0015). */
export const CONTACT_OK = 1;
export const CONTACT_FAILED = 2;

/**
 * What one flow says about reaching its service: denied by the network or a SYN-only/rejected
 * attempt is a failure, an established connection a success; flows whose collector reports no
 * outcome (Zeek OTH, ICMP errors, formats without flags) say nothing.
 */
export function contactOutcome(flow: Pick<FlowRecord, 'action' | 'outcome'>): number {
  if (flow.action === 'deny') return CONTACT_FAILED;
  if (flow.outcome === 'established') return CONTACT_OK;
  if (flow.outcome === 'attempt' || flow.outcome === 'rejected') return CONTACT_FAILED;
  return 0;
}

/**
 * A flow from a well-known port (< 1024) to an unprivileged one is the server side of a
 * conversation: a reply logged as its own flow (unidirectional records, e.g. Argus' DNS answers as
 * `INT`), not a connection to a service, so it is no contact for the scan test.
 */
export function looksLikeReply(flow: Pick<FlowRecord, 'srcPort' | 'dstPort'>): boolean {
  return (
    flow.srcPort !== undefined && flow.dstPort !== undefined && flow.srcPort < 1024 && flow.dstPort >= 1024
  );
}

/**
 * The service a connection reaches (`<protocol>/<port>`, persisted as peer_seen.service), or
 * undefined when the flow is no connection to a service: the scan test, like the paper, counts
 * TCP and UDP only (ICMP, ARP and unknown protocols carry no port and their "attempts" are
 * routers resolving and redirecting), and skips replies.
 */
export function serviceOf(flow: Pick<FlowRecord, 'proto' | 'srcPort' | 'dstPort'>): string | undefined {
  if (flow.proto !== PROTO.TCP && flow.proto !== PROTO.UDP) return undefined;
  if (flow.dstPort === undefined || looksLikeReply(flow)) return undefined;
  return `${flow.proto}/${flow.dstPort}`;
}

export interface PeerStats {
  flows: number;
  bytes: number;
  times: number[];
}

export class BucketAcc {
  flows = 0;
  bytes = 0;
  packets = 0;
  denied = 0;
  tcp = 0;
  udp = 0;
  icmp = 0;
  withPort = 0;
  wellKnown = 0;
  ephemeral = 0;
  tcpWithOutcome = 0;
  failed = 0;
  durations = 0;
  durationSum = 0;
  durationSumSq = 0;
  malicious = 0;
  readonly ports = new Map<number, number>();
  readonly peers = new Map<string, PeerStats>();
  readonly addresses: string[] = [];
  /** Peers first seen (for this entity) in this bucket; set when the bucket is finalized. */
  newPeers: Set<string> | undefined;
  /** Monitored services contacted, `<destination entity> <service>` → outcome bits. */
  readonly services = new Map<string, number>();
  /** First contacts made in this bucket, by outcome; set when the bucket is finalized. */
  firstContacts: { ok: number; failed: number } | undefined;

  /** `service`: the flow's `<destination entity> <service>` when its destination is monitored. */
  add(flow: FlowRecord, ownAddress: string, peer: string, service?: string): void {
    this.flows++;
    const bytes = flow.bytes ?? 0;
    this.bytes += bytes;
    this.packets += flow.packets ?? 0;
    if (flow.action === 'deny') this.denied++;
    const proto = flow.proto;
    if (proto === PROTO.TCP) {
      this.tcp++;
      if (flow.outcome !== undefined) {
        this.tcpWithOutcome++;
        if (flow.outcome !== 'established') this.failed++;
      }
    } else if (proto === PROTO.UDP) this.udp++;
    else if (proto === PROTO.ICMP || proto === PROTO.ICMPV6) this.icmp++;
    const port = flow.dstPort;
    if (port !== undefined && proto !== PROTO.ICMP && proto !== PROTO.ICMPV6) {
      this.withPort++;
      if (port < 1024) this.wellKnown++;
      else if (port >= 49152) this.ephemeral++;
      this.ports.set(port, (this.ports.get(port) ?? 0) + 1);
    }
    if (flow.durationMs !== undefined) {
      this.durations++;
      this.durationSum += flow.durationMs;
      this.durationSumSq += flow.durationMs * flow.durationMs;
    }
    if (flow.label !== undefined && isMaliciousLabel(flow.label)) this.malicious++;
    let stats = this.peers.get(peer);
    if (!stats) {
      stats = { flows: 0, bytes: 0, times: [] };
      this.peers.set(peer, stats);
    }
    stats.flows++;
    stats.bytes += bytes;
    if (stats.times.length < MAX_TIMES_PER_PEER) stats.times.push(flow.ts);
    if (this.addresses.length < MAX_ADDRESSES && !this.addresses.includes(ownAddress))
      this.addresses.push(ownAddress);
    if (service !== undefined)
      this.services.set(service, (this.services.get(service) ?? 0) | contactOutcome(flow));
  }
}
