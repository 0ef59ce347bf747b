/**
 * Which policies a verdict concerns, and the shape of the response for each: a policy covers a
 * verdict when its namespace and pod selector cover the entity's pods or one of the targets'
 * pods. Where the entity stands (inside the protected pods or outside them) and its kind
 * (source or destination) decide who is protected, who is remote, and who is the suspect:
 *
 *   entity inside,  source       compromised pod talking out: cut its egress, quarantine it
 *   entity inside,  destination  protected pod under attack: cut ingress from its peers
 *   entity outside, source       attacker of protected pods: cut ingress from it
 *   entity outside, destination  protected pods talking to a bad destination: cut their egress
 *                                to it, quarantine them
 * Pure: the pods and revealed addresses come in already resolved.
 */
import { matchesSelector, type Selector } from '../k8s/selectors.js';
import { quarantineRecord, type Pod } from '../k8s/pods.js';
import type { BlockDirection, EntityKind } from './crd-types.js';

/** One address of a verdict: its token, the address behind it (when revealed) and its pod. */
export interface Party {
  token: string;
  ip?: string;
  pod?: Pod;
}

export interface Resolved {
  entityParties: Party[];
  /** Pods of the entity: behind its addresses, or of its workload. */
  entityPods: Pod[];
  targetParties: Party[];
}

export interface Scope {
  namespace: string;
  selector: Selector;
}

export interface Geometry {
  entityInside: boolean;
  /** Which traffic of the protected pods a Block cuts. */
  direction: BlockDirection;
  /** In-scope pods on the defended side. */
  protectedPods: Pod[];
  /** Addresses on the other side: what a Block stops. */
  remote: Party[];
  /** In-scope pods that are themselves suspect: what Quarantine and RateLimit act on. */
  suspectPods: Pod[];
  /** Out-of-scope suspects, reported to external enforcers by RateLimit. */
  suspectParties: Party[];
}

/** A quarantined pod is judged by the labels it had before Foresight detached them. */
export function inScope(pod: Pod | undefined, scope: Scope): pod is Pod {
  if (!pod || pod.metadata?.namespace !== scope.namespace || pod.metadata.deletionTimestamp) return false;
  return matchesSelector(scope.selector, quarantineRecord(pod)?.labels ?? pod.metadata.labels);
}

export function geometry(kind: EntityKind, resolved: Resolved, scope: Scope): Geometry | undefined {
  const entityIn = resolved.entityPods.filter((p) => inScope(p, scope));
  const targetIn = uniquePods(
    resolved.targetParties.map((t) => t.pod).filter((p): p is Pod => inScope(p, scope)),
  );
  const withIp = (parties: Party[]) => parties.filter((p) => p.ip !== undefined);
  if (entityIn.length > 0) {
    const entityIps = new Set(resolved.entityParties.map((p) => p.ip));
    const peers = withIp(resolved.targetParties).filter((t) => !entityIps.has(t.ip));
    if (kind === 'source') {
      return {
        entityInside: true,
        direction: 'Egress',
        protectedPods: entityIn,
        remote: peers,
        suspectPods: entityIn,
        suspectParties: [],
      };
    }
    const outside = peers.filter((t) => !inScope(t.pod, scope));
    return {
      entityInside: true,
      direction: 'Ingress',
      protectedPods: entityIn,
      remote: outside,
      suspectPods: [],
      suspectParties: outside,
    };
  }
  if (targetIn.length === 0) return undefined;
  const remote = withIp(resolved.entityParties);
  if (kind === 'source') {
    return {
      entityInside: false,
      direction: 'Ingress',
      protectedPods: targetIn,
      remote,
      suspectPods: [],
      suspectParties: remote,
    };
  }
  return {
    entityInside: false,
    direction: 'Egress',
    protectedPods: targetIn,
    remote,
    suspectPods: targetIn,
    suspectParties: [],
  };
}

export function uniquePods(pods: Pod[]): Pod[] {
  const seen = new Map<string, Pod>();
  for (const p of pods) seen.set(`${p.metadata?.namespace}/${p.metadata?.name}`, p);
  return [...seen.values()];
}

/** Namespaces a verdict touches: where policies that may cover it live. */
export function touchedNamespaces(entityNamespace: string | undefined, resolved: Resolved): Set<string> {
  const out = new Set<string>();
  if (entityNamespace) out.add(entityNamespace);
  for (const p of resolved.entityPods) if (p.metadata?.namespace) out.add(p.metadata.namespace);
  for (const t of resolved.targetParties) if (t.pod?.metadata?.namespace) out.add(t.pod.metadata.namespace);
  return out;
}
