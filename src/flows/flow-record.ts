/**
 * The one internal flow record every format adapter produces and every later stage reads.
 *
 * A record describes one flow (or one flow-log aggregation of a 5-tuple) as seen by a collector.
 * Addresses are raw on the way in; after `anonymize` they are tokens (see anonymizer.ts) and the
 * raw form never travels further than the enrichment step.
 */

/** IANA protocol numbers the features distinguish. Anything else is kept as its number. */
export const PROTO = { ICMP: 1, TCP: 6, UDP: 17, ICMPV6: 58 } as const;

/** Kubernetes identity of one side of a flow, as the collector or the enrichment hook knows it. */
export interface K8sIdentity {
  namespace: string;
  pod?: string;
  /** Owning workload (Deployment/StatefulSet/DaemonSet/… name), or the pod name when it has none. */
  workload?: string;
  labels?: Readonly<Record<string, string>>;
}

/**
 * How a TCP connection ended, where the format says so (Zeek conn_state, Argus state, TCP flags).
 * `attempt`: only a SYN was seen (scans, unanswered SYN fan-out); `rejected`: answered by RST.
 */
export type ConnOutcome = 'established' | 'attempt' | 'rejected';

export interface FlowRecord {
  /** Event time: when the flow started, epoch milliseconds. */
  ts: number;
  /** Flow duration in milliseconds, where known. */
  durationMs?: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  /** IANA protocol number; 0 when the format does not say. */
  proto: number;
  /** The network's decision: allowed or denied by a firewall, security group or policy. */
  action: 'allow' | 'deny';
  /** Bytes in both directions where the format gives both, else the one direction it gives. */
  bytes?: number;
  packets?: number;
  outcome?: ConnOutcome;
  direction?: 'ingress' | 'egress';
  srcK8s?: K8sIdentity;
  dstK8s?: K8sIdentity;
  /**
   * Ground-truth label carried by labelled datasets (CTU-13, UNSW-NB15, Stratosphere Zeek) and
   * the simulator. Never used by detection; only by evaluation.
   */
  label?: string;
}

/** True for the labels the datasets use for malicious traffic. */
export function isMaliciousLabel(label: string | undefined): boolean {
  if (!label) return false;
  const l = label.toLowerCase();
  return l.includes('botnet') || l === 'malicious' || l.startsWith('attack') || l === '1';
}
