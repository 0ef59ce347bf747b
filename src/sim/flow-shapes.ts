/**
 * Turns "who talked to whom, how much, how it ended" into a FlowRecord with plausible packet
 * counts, ephemeral ports and direction. Every generator (normal and attack) builds its records
 * here, so all flows share one set of field conventions.
 */
import { PROTO, type ConnOutcome, type FlowRecord } from '../flows/flow-record.js';
import type { Endpoint } from './cluster.js';
import type { Rng } from './random.js';

export interface FlowShape {
  ts: number;
  src: Endpoint;
  dst: Endpoint;
  dstPort: number;
  proto: 'tcp' | 'udp';
  /** Bytes both ways; ignored (fixed small sizes) for attempts and rejections. */
  bytes: number;
  durationMs: number;
  outcome: ConnOutcome;
  action?: 'allow' | 'deny';
  label: string;
}

export interface ShapeOptions {
  /** Attach srcK8s/dstK8s for pod endpoints (false: a collector that knows only addresses). */
  emitK8s: boolean;
}

/** Linux ip_local_port_range for pods; a wider range for hosts on the Internet. */
function ephemeralPort(ep: Endpoint, rng: Rng): number {
  return ep.k8s ? 32768 + rng.int(28232) : 1024 + rng.int(64512);
}

export function makeFlow(shape: FlowShape, rng: Rng, options: ShapeOptions): FlowRecord {
  const tcp = shape.proto === 'tcp';
  let bytes: number;
  let packets: number;
  let durationMs: number;
  if (!tcp) {
    bytes = Math.max(60, Math.round(shape.bytes));
    packets = Math.max(2, Math.round(bytes / 500));
    durationMs = Math.max(0, Math.round(shape.durationMs));
  } else if (shape.outcome === 'attempt') {
    // SYN only, retransmitted now and then: 60-byte SYNs.
    packets = shape.durationMs >= 1000 ? 2 + rng.int(2) : 1;
    bytes = packets * 60;
    durationMs = Math.round(shape.durationMs);
  } else if (shape.outcome === 'rejected') {
    packets = 2;
    bytes = 100;
    durationMs = rng.int(2);
  } else {
    bytes = Math.max(240, Math.round(shape.bytes));
    // Handshake and teardown plus data segments (MSS 1448) and their ACKs.
    packets = 7 + Math.ceil(bytes / 1448) + Math.ceil(bytes / 2896);
    durationMs = Math.max(1, Math.round(shape.durationMs));
  }
  const flow: FlowRecord = {
    ts: Math.floor(shape.ts),
    durationMs,
    src: shape.src.ip,
    dst: shape.dst.ip,
    srcPort: ephemeralPort(shape.src, rng),
    dstPort: shape.dstPort,
    proto: tcp ? PROTO.TCP : PROTO.UDP,
    action: shape.action ?? 'allow',
    bytes,
    packets,
  };
  if (tcp) flow.outcome = shape.outcome;
  if (!shape.src.k8s) flow.direction = 'ingress';
  else if (!shape.dst.k8s) flow.direction = 'egress';
  if (options.emitK8s) {
    if (shape.src.k8s) flow.srcK8s = shape.src.k8s;
    if (shape.dst.k8s) flow.dstK8s = shape.dst.k8s;
  }
  flow.label = shape.label;
  return flow;
}
