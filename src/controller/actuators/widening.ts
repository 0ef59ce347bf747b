/**
 * Would an allow-all-except NetworkPolicy widen what is allowed today? Yes as soon as another
 * policy already isolates one of the pods it would select (for that direction): the pods'
 * allowed traffic is the union of all policies, so our "everything but X" would re-open what
 * the other policy closed. Pure; used by eligibility for NetworkPolicy blocks.
 */
import type { KubeObject } from '../k8s/client.js';
import { LABEL_QUARANTINE, type Pod } from '../k8s/pods.js';
import { LABEL_POLICY } from '../k8s/resources.js';
import { matchesSelector, selectsEverything, type Selector } from '../k8s/selectors.js';
import type { BlockDirection } from '../threatpolicy/crd-types.js';
import { LABEL_ROLE, blockSelector } from './network-policies.js';
import { policyLabelValue } from './names.js';

export interface NetworkPolicy extends KubeObject {
  spec?: {
    podSelector?: Selector;
    policyTypes?: string[];
    ingress?: { from?: NetworkPolicyPeer[] }[];
    egress?: { to?: NetworkPolicyPeer[] }[];
  };
}

export interface NetworkPolicyPeer {
  podSelector?: Selector;
  namespaceSelector?: Selector;
  ipBlock?: { cidr: string; except?: string[] };
}

/** The directions a NetworkPolicy isolates, with the API server's defaulting of policyTypes. */
export function isolates(np: NetworkPolicy, direction: BlockDirection): boolean {
  const types = np.spec?.policyTypes;
  if (types && types.length > 0) return types.includes(direction);
  return direction === 'Ingress' || (np.spec?.egress?.length ?? 0) > 0;
}

export function isForesightQuarantine(np: NetworkPolicy): boolean {
  const labels = np.metadata?.labels ?? {};
  return labels['app.kubernetes.io/managed-by'] === 'foresight' && labels[LABEL_ROLE] === 'quarantine';
}

/**
 * Names of the NetworkPolicies (other than this policy's own) that isolate, for `direction`, a
 * pod our block would select: the policy's selector minus quarantined pods.
 */
export function wideningPolicies(
  policyName: string,
  policySelector: Selector,
  namespacePods: readonly Pod[],
  namespacePolicies: readonly NetworkPolicy[],
  direction: BlockDirection,
): string[] {
  const ours = blockSelector(policySelector);
  const selected = namespacePods.filter(
    (p) => !p.metadata?.deletionTimestamp && matchesSelector(ours, p.metadata?.labels),
  );
  if (selected.length === 0) return [];
  const ownLabel = policyLabelValue(policyName);
  const names: string[] = [];
  for (const np of namespacePolicies) {
    const labels = np.metadata?.labels ?? {};
    if (labels['app.kubernetes.io/managed-by'] === 'foresight' && labels[LABEL_POLICY] === ownLabel) continue;
    if (isForesightQuarantine(np) || !isolates(np, direction)) continue;
    const sel = np.spec?.podSelector ?? {};
    if (
      selected.some(
        (p) => !p.metadata?.labels?.[LABEL_QUARANTINE] && matchesSelector(sel, p.metadata?.labels),
      )
    ) {
      names.push(np.metadata?.name ?? '');
    }
  }
  return names.sort();
}

/**
 * NetworkPolicies of the namespace that keep allowing a quarantined pod's traffic: one whose
 * podSelector is empty selects every pod, so detaching labels cannot escape it, and allowed
 * traffic is the union of all policies, so the quarantine's deny-all cannot take back what it
 * allows. A default-deny (no rules) allows nothing and is no leak.
 */
export function quarantineLeaks(namespacePolicies: readonly NetworkPolicy[]): string[] {
  return namespacePolicies
    .filter((np) => {
      if (isForesightQuarantine(np)) return false;
      if (!selectsEverything(np.spec?.podSelector)) return false;
      const allowsIngress = isolates(np, 'Ingress') && (np.spec?.ingress?.length ?? 0) > 0;
      const allowsEgress = isolates(np, 'Egress') && (np.spec?.egress?.length ?? 0) > 0;
      return allowsIngress || allowsEgress;
    })
    .map((np) => np.metadata?.name ?? '')
    .sort();
}
