/**
 * What the controller needs to know about a pod: addresses, labels, owning workload, and the
 * annotations Foresight put on it. Also the informer indexes built from these.
 */
import type { KubeObject } from './client.js';

export interface Pod extends KubeObject {
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: { podIP?: string; podIPs?: { ip: string }[]; phase?: string };
}

export interface Namespace extends KubeObject {
  status?: { phase?: string };
}

/** Where a quarantined pod's original labels are kept (JSON), and which incident holds it. */
export const ANNOTATION_QUARANTINE = 'foresight.dev/quarantine';
/** Where a rate-limited pod's original bandwidth annotations are kept (JSON). */
export const ANNOTATION_RATE_LIMIT = 'foresight.dev/rate-limit';
/** The quarantine label: its value names the policy whose deny-all NetworkPolicy selects the pod. */
export const LABEL_QUARANTINE = 'foresight.dev/quarantine';
export const LABEL_CRITICALITY = 'foresight.dev/criticality';
export const BANDWIDTH_INGRESS = 'kubernetes.io/ingress-bandwidth';
export const BANDWIDTH_EGRESS = 'kubernetes.io/egress-bandwidth';

export function podIps(pod: Pod): string[] {
  // Host-network pods share the node's address: it does not identify them.
  if (pod.spec?.hostNetwork) return [];
  const ips = new Set<string>();
  if (pod.status?.podIP) ips.add(pod.status.podIP);
  for (const p of pod.status?.podIPs ?? []) if (p.ip) ips.add(p.ip);
  return [...ips];
}

/**
 * The workload a pod belongs to, as the detector names it: the Deployment behind a ReplicaSet
 * (the ReplicaSet name minus its pod-template-hash), otherwise the controlling owner's name,
 * otherwise the pod's own name.
 */
export function workloadOf(pod: Pod): string {
  const owner =
    pod.metadata?.ownerReferences?.find((o) => o.controller) ?? pod.metadata?.ownerReferences?.[0];
  const name = pod.metadata?.name ?? '';
  if (!owner) return name;
  const hash = pod.metadata?.labels?.['pod-template-hash'];
  if (owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
    return owner.name.slice(0, -(hash.length + 1));
  }
  return owner.name;
}

export function podKey(pod: Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export interface QuarantineRecord {
  /** `namespace/name` of the incident holding the pod. */
  incident: string;
  /** The pod's labels before quarantine, exactly. */
  labels: Record<string, string>;
  /** Label keys removed (or changed) by the quarantine. */
  detached: string[];
  at: string;
}

export interface RateLimitRecord {
  incident: string;
  /** The bandwidth annotations before (null: absent). */
  original: { ingress: string | null; egress: string | null };
}

export function quarantineRecord(pod: Pod): QuarantineRecord | undefined {
  return parseRecord<QuarantineRecord>(pod.metadata?.annotations?.[ANNOTATION_QUARANTINE]);
}

export function rateLimitRecord(pod: Pod): RateLimitRecord | undefined {
  return parseRecord<RateLimitRecord>(pod.metadata?.annotations?.[ANNOTATION_RATE_LIMIT]);
}

function parseRecord<T extends { incident: string }>(text: string | undefined): T | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as T;
    return typeof parsed.incident === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Informer indexes over pods. */
export const POD_INDEXERS = {
  ip: (pod: Pod): string[] => podIps(pod),
  workload: (pod: Pod): string[] => [`${pod.metadata?.namespace ?? ''}/${workloadOf(pod)}`],
  /** Incidents holding the pod through a quarantine or a rate limit. */
  incident: (pod: Pod): string[] => {
    const out = new Set<string>();
    const q = quarantineRecord(pod);
    if (q) out.add(q.incident);
    const r = rateLimitRecord(pod);
    if (r) out.add(r.incident);
    return [...out];
  },
};
