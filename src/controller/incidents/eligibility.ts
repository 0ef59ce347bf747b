/**
 * What each ladder step may act on for one incident, after the rules that nothing overrides:
 * never an allowlisted source or pod, never kube-system (or another protected namespace), never
 * the operator itself, never beyond the policy's caps, and never a NetworkPolicy block that
 * would widen what other policies allow. Pure: the informers' answers come in as arguments.
 */
import { CidrSet } from '../../util/cidr.js';
import type { EnforcementChoice } from '../k8s/discovery.js';
import { matchesSelector } from '../k8s/selectors.js';
import { podIps, quarantineRecord, type Pod } from '../k8s/pods.js';
import type { ActionType, ThreatPolicySpec } from '../threatpolicy/crd-types.js';
import type { Geometry, Party, Resolved } from '../threatpolicy/matching.js';
import type { Eligibility } from './ladder.js';

export interface Guard {
  protectedNamespaces: ReadonlySet<string>;
  operatorLabels: Readonly<Record<string, string>>;
}

export interface EligibilityInput {
  spec: Pick<ThreatPolicySpec, 'allowlist' | 'caps'>;
  namespace: string;
  /** `namespace/name` of the incident. */
  incident: string;
  entityNamespace?: string;
  resolved: Resolved;
  geometry: Geometry | undefined;
  guard: Guard;
  /** Pods and addresses held by the policy's other incidents. */
  usage: { quarantinedPods: number; blockedAddresses: number };
  enforcement: EnforcementChoice;
  /** Other policies that already select the protected pods, per direction (NetworkPolicy blocks only). */
  widening: { Ingress: readonly string[]; Egress: readonly string[] };
  /** NetworkPolicies that select every pod of the namespace and allow traffic (widening.ts quarantineLeaks). */
  quarantineLeaks?: readonly string[];
}

const refuse = (reason: string, message: string): Eligibility => ({ ok: false, reason, message });
const podName = (p: Pod) => p.metadata?.name ?? '';

export function decideEligibility(input: EligibilityInput): Partial<Record<ActionType, Eligibility>> {
  const { spec, guard, geometry, resolved } = input;
  const cidrs = safeCidrs(spec.allowlist.cidrs ?? []);
  const allowedNs = new Set(spec.allowlist.namespaces ?? []);
  const isProtected = (pod: Pod): boolean => {
    const labels = quarantineRecord(pod)?.labels ?? pod.metadata?.labels ?? {};
    const ns = pod.metadata?.namespace ?? '';
    const operator = Object.entries(guard.operatorLabels);
    return (
      guard.protectedNamespaces.has(ns) ||
      (operator.length > 0 && operator.every(([k, v]) => labels[k] === v))
    );
  };
  const podAllowlisted = (pod: Pod): boolean => {
    const ns = pod.metadata?.namespace ?? '';
    if (allowedNs.has(ns) || podIps(pod).some((ip) => cidrs.contains(ip))) return true;
    const labels = quarantineRecord(pod)?.labels ?? pod.metadata?.labels;
    return (
      ns === input.namespace && (spec.allowlist.podSelectors ?? []).some((s) => matchesSelector(s, labels))
    );
  };
  const partyAllowlisted = (p: Party): boolean =>
    (p.ip !== undefined && cidrs.contains(p.ip)) || (p.pod !== undefined && podAllowlisted(p.pod));

  const entityAllowlisted =
    (input.entityNamespace !== undefined && allowedNs.has(input.entityNamespace)) ||
    resolved.entityParties.some(partyAllowlisted) ||
    resolved.entityPods.some(podAllowlisted);
  if (entityAllowlisted) {
    const r = refuse('Allowlisted', 'the entity is on the policy allowlist');
    return { Alert: r, RateLimit: r, Block: r, Quarantine: r };
  }
  const out: Partial<Record<ActionType, Eligibility>> = { Alert: { ok: true } };
  if (!geometry) {
    const r = refuse('NotApplicable', 'the policy no longer covers the entity or its targets');
    return { ...out, RateLimit: r, Block: r, Quarantine: r };
  }
  if (
    resolved.entityPods.some(isProtected) ||
    (input.entityNamespace && guard.protectedNamespaces.has(input.entityNamespace))
  ) {
    const r = refuse('ProtectedWorkload', 'the entity is the operator or runs in a protected namespace');
    return { ...out, RateLimit: r, Block: r, Quarantine: r };
  }

  const suspects = geometry.suspectPods.filter((p) => !isProtected(p) && !podAllowlisted(p));
  out.Quarantine = quarantine(input, suspects);

  const limitPods = suspects.map(podName).sort();
  const limitAddresses = geometry.suspectParties
    .filter((p) => !partyAllowlisted(p) && !(p.pod && isProtected(p.pod)))
    .map((p) => p.token);
  out.RateLimit =
    limitPods.length + limitAddresses.length === 0
      ? refuse('NotApplicable', 'no pod of this namespace and no outside address to rate-limit')
      : { ok: true, pods: limitPods, addresses: limitAddresses };

  out.Block = block(
    input,
    geometry.remote.filter((p) => !partyAllowlisted(p) && !(p.pod && isProtected(p.pod))),
  );
  return out;
}

function quarantine(input: EligibilityInput, suspects: Pod[]): Eligibility {
  const candidates = suspects.filter((p) => {
    const holder = quarantineRecord(p)?.incident;
    return holder === undefined || holder === input.incident;
  });
  if (candidates.length === 0) {
    return refuse(
      'NotApplicable',
      suspects.length > 0
        ? 'the pods are quarantined by another incident'
        : 'no pod of this namespace to quarantine',
    );
  }
  const room = input.spec.caps.maxQuarantinedPods - input.usage.quarantinedPods;
  if (room <= 0) {
    return refuse(
      'CapReached',
      `${input.usage.quarantinedPods} pods are quarantined already (cap ${input.spec.caps.maxQuarantinedPods})`,
    );
  }
  // Pods this incident already holds stay first, so a cap never swaps one quarantined pod for another.
  const held = (p: Pod) => (quarantineRecord(p)?.incident === input.incident ? 0 : 1);
  const sorted = [...candidates].sort((a, b) => held(a) - held(b) || podName(a).localeCompare(podName(b)));
  const chosen = sorted.slice(0, room).map(podName).sort();
  const notes: string[] = [];
  if (chosen.length < candidates.length) notes.push(`cap: ${chosen.length} of ${candidates.length} pods`);
  const leaks = input.quarantineLeaks ?? [];
  if (leaks.length > 0) {
    // Still quarantined (label, detached selectors, replacement pod): but the isolation is partial.
    notes.push(
      `incomplete isolation: NetworkPolicy ${leaks.join(', ')} select${leaks.length === 1 ? 's' : ''} every pod ` +
        'of the namespace and allow traffic, which a deny-all NetworkPolicy cannot take back; narrow ' +
        `${leaks.length === 1 ? 'its' : 'their'} podSelector or isolate with a deny-capable CNI`,
    );
  }
  return { ok: true, pods: chosen, ...(notes.length > 0 ? { message: notes.join('; ') } : {}) };
}

function block(input: EligibilityInput, remote: Party[]): Eligibility {
  const direction = input.geometry!.direction;
  const tokens = [...new Set(remote.map((p) => p.token))].sort();
  if (tokens.length === 0) return refuse('NotApplicable', 'no address to block');
  const target = direction === 'Ingress' ? input.enforcement.ingress : input.enforcement.egress;
  const widening = input.widening[direction];
  if (target.api === 'NetworkPolicy' && widening.length > 0) {
    return refuse(
      'WouldWiden',
      `NetworkPolicies ${widening.join(', ')} already select the protected pods for ${direction.toLowerCase()}; ` +
        'an allow-all-except NetworkPolicy would widen them. A deny-capable CNI (Cilium, Calico) can block here.',
    );
  }
  const room = input.spec.caps.maxBlockedSources - input.usage.blockedAddresses;
  if (room <= 0) {
    return refuse(
      'CapReached',
      `${input.usage.blockedAddresses} addresses are blocked already (cap ${input.spec.caps.maxBlockedSources})`,
    );
  }
  const chosen = tokens.slice(0, room);
  const capNote = chosen.length < tokens.length ? ` (cap: ${chosen.length} of ${tokens.length})` : '';
  return {
    ok: true,
    addresses: chosen,
    direction,
    message: `${chosen.length} address${chosen.length === 1 ? '' : 'es'}, ${direction.toLowerCase()}, via ${target.api}${capNote}`,
  };
}

function safeCidrs(cidrs: readonly string[]): CidrSet {
  // Invalid entries are reported on the policy's Degraded condition; the valid ones still hold.
  return new CidrSet(
    cidrs.filter((c) => {
      try {
        new CidrSet([c]);
        return true;
      } catch {
        return false;
      }
    }),
  );
}
