/**
 * Zeek conn.log semantics shared by `zeek-tsv` and `zeek-json`: one conn record → FlowRecord, and
 * back. The two adapters differ only in how they find the field values.
 *
 * Decisions (ADR 0003):
 * - action is always `allow`: Zeek sees packets, not firewall decisions. A REJ is a host answering
 *   RST, which is the `rejected` outcome, not a denial.
 * - bytes = orig_ip_bytes + resp_ip_bytes (IP-level, comparable to AWS/Argus/NSG byte counts),
 *   falling back to orig_bytes + resp_bytes (payload only) when the IP counts are unset.
 * - local_orig/local_resp give the direction: local→remote egress, remote→local ingress.
 * - `label` (Stratosphere) is kept verbatim; `detailedlabel` is not carried.
 * - ICMP "ports" are Zeek's type (orig_p) and code (resp_p); `icmp` over IPv6 is protocol 58.
 */
import { isIPv6 } from 'node:net';
import type { ConnOutcome, FlowRecord } from '../flow-record.js';
import {
  checkTs,
  invalid,
  ip,
  isUnset,
  missing,
  optDurationFromSeconds,
  optPort,
  secondsToMs,
  sumCounts,
  toNumber,
} from './fields.js';
import { protoByName, protoName, rfc3339 } from './vocab.js';

/** The conn.log fields the mapping reads; unset values are `undefined`. */
export interface ZeekConn {
  ts: unknown;
  origH: unknown;
  origP: unknown;
  respH: unknown;
  respP: unknown;
  proto: unknown;
  duration: unknown;
  origBytes: unknown;
  respBytes: unknown;
  origIpBytes: unknown;
  respIpBytes: unknown;
  connState: unknown;
  localOrig: unknown;
  localResp: unknown;
  origPkts: unknown;
  respPkts: unknown;
  label: unknown;
}

/**
 * conn_state → outcome. S0/SH/RSTOS0: the originator's SYN was never answered → attempt.
 * REJ: answered by RST → rejected. SF/S1/S2/S3/RSTO/RSTR: a handshake completed (RSTR is a
 * reset after establishment; the unestablished case is REJ) → established. RSTRH/SHR (only the
 * responder seen) and OTH (midstream, no SYN) do not say → unset.
 */
export const CONN_STATE_OUTCOME: Readonly<Record<string, ConnOutcome>> = {
  S0: 'attempt',
  SH: 'attempt',
  RSTOS0: 'attempt',
  REJ: 'rejected',
  SF: 'established',
  S1: 'established',
  S2: 'established',
  S3: 'established',
  RSTO: 'established',
  RSTR: 'established',
};

function zeekTs(v: unknown): number {
  if (isUnset(v)) return missing('ts');
  if (typeof v === 'string' && v.includes('T')) return rfc3339('ts', v);
  return checkTs('ts', secondsToMs(toNumber('ts', v)), v);
}

function bool(v: unknown): boolean | undefined {
  if (v === true || v === 'T') return true;
  if (v === false || v === 'F') return false;
  return undefined;
}

export function connToFlow(c: ZeekConn): FlowRecord {
  const src = ip('id.orig_h', c.origH);
  const dst = ip('id.resp_h', c.respH);
  let proto = 0;
  if (!isUnset(c.proto)) {
    if (typeof c.proto !== 'string') return invalid('proto', c.proto, 'is not a protocol name');
    proto = protoByName(c.proto) ?? 0;
    if (proto === 1 && isIPv6(src)) proto = 58;
  }
  const flow: FlowRecord = { ts: zeekTs(c.ts), src, dst, proto, action: 'allow' };
  const srcPort = optPort('id.orig_p', c.origP);
  if (srcPort !== undefined) flow.srcPort = srcPort;
  const dstPort = optPort('id.resp_p', c.respP);
  if (dstPort !== undefined) flow.dstPort = dstPort;
  const dur = optDurationFromSeconds('duration', c.duration);
  if (dur !== undefined) flow.durationMs = dur;
  const bytes =
    isUnset(c.origIpBytes) && isUnset(c.respIpBytes)
      ? sumCounts('orig_bytes+resp_bytes', c.origBytes, c.respBytes)
      : sumCounts('orig_ip_bytes+resp_ip_bytes', c.origIpBytes, c.respIpBytes);
  if (bytes !== undefined) flow.bytes = bytes;
  const packets = sumCounts('orig_pkts+resp_pkts', c.origPkts, c.respPkts);
  if (packets !== undefined) flow.packets = packets;
  if (typeof c.connState === 'string') {
    const outcome = CONN_STATE_OUTCOME[c.connState];
    if (outcome) flow.outcome = outcome;
  }
  const lo = bool(c.localOrig);
  const lr = bool(c.localResp);
  if (lo === true && lr === false) flow.direction = 'egress';
  else if (lo === false && lr === true) flow.direction = 'ingress';
  if (typeof c.label === 'string' && c.label.length > 0 && c.label !== '-' && c.label !== '(empty)') {
    flow.label = c.label;
  }
  return flow;
}

/** The conn.log values `write` emits for a flow; undefined means unset. */
export interface ZeekOut {
  ts: string;
  proto: string;
  duration: string | undefined;
  connState: string;
  localOrig: boolean | undefined;
  localResp: boolean | undefined;
}

export function flowToConn(f: FlowRecord): ZeekOut {
  const state =
    f.outcome === 'attempt'
      ? 'S0'
      : f.outcome === 'rejected'
        ? 'REJ'
        : f.outcome === 'established'
          ? 'SF'
          : 'OTH';
  return {
    ts: (f.ts / 1000).toFixed(6),
    proto:
      f.proto === 6 || f.proto === 17
        ? protoName(f.proto)
        : f.proto === 1 || f.proto === 58
          ? 'icmp'
          : 'unknown_transport',
    duration: f.durationMs === undefined ? undefined : (f.durationMs / 1000).toFixed(6),
    connState: state,
    localOrig: f.direction === undefined ? undefined : f.direction === 'egress',
    localResp: f.direction === undefined ? undefined : f.direction === 'ingress',
  };
}
