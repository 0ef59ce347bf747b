/**
 * Desired network policies of one ThreatPolicy, as pure functions (golden-file tested):
 *
 * - Quarantine: a deny-all NetworkPolicy (both directions, no rules) selecting the pods that
 *   carry this policy's quarantine label. It exists whenever the policy is in Enforce mode with
 *   a Quarantine step, so a pod is never labelled before its isolation is in place.
 * - Block: one object per direction aggregating every address the policy's incidents block
 *   (allow rules are additive: two allow-all-except policies would re-allow each other's
 *   sources, so one policy must carry them all). With Kubernetes NetworkPolicy it is an
 *   allow-all-except rule, created only where no other policy selects the pods (the incident
 *   refuses otherwise, see eligibility.ts); with Cilium, Calico or AdminNetworkPolicy a deny rule.
 *   Quarantined pods are never selected by a block policy: its allow rule would undo their
 *   isolation.
 */
import { isIPv4 } from 'node:net';
import type { KubeObject } from '../k8s/client.js';
import type { EnforcementChoice, EnforcementTarget } from '../k8s/discovery.js';
import { LABEL_QUARANTINE } from '../k8s/pods.js';
import { LABEL_POLICY_NAMESPACE, RESOURCES, apiVersionOf, controllerRef } from '../k8s/resources.js';
import type { Selector } from '../k8s/selectors.js';
import type { BlockDirection, ThreatPolicy } from '../threatpolicy/crd-types.js';
import { childName, managedLabels, policyLabelValue } from './names.js';

export interface BlockedAddress {
  ip: string;
  /** The address belongs to a pod: a NetworkPolicy cannot then allow "all pods" beside it. */
  inCluster: boolean;
}

export type BlockSets = Record<BlockDirection, BlockedAddress[]>;

export const LABEL_ROLE = 'foresight.dev/role';

export function quarantinePolicyName(policyName: string): string {
  return childName('foresight-quarantine', policyName);
}

export function blockPolicyName(policyName: string, direction: BlockDirection): string {
  return childName(`foresight-block-${direction.toLowerCase()}`, policyName);
}

function owned(policy: ThreatPolicy, name: string, role: string): NonNullable<KubeObject['metadata']> {
  return {
    name,
    namespace: policy.metadata.namespace,
    labels: managedLabels(policy.metadata.name ?? '', { [LABEL_ROLE]: role }),
    ownerReferences: [controllerRef(RESOURCES.threatPolicies, policy)],
  };
}

export function buildQuarantinePolicy(policy: ThreatPolicy): KubeObject {
  const name = policy.metadata.name ?? '';
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: owned(policy, quarantinePolicyName(name), 'quarantine'),
    spec: {
      podSelector: { matchLabels: { [LABEL_QUARANTINE]: policyLabelValue(name) } },
      // Both directions and no rules: nothing in, nothing out.
      policyTypes: ['Ingress', 'Egress'],
    },
  } as KubeObject;
}

/** The policy's pod selector minus quarantined pods. */
export function blockSelector(selector: Selector): Selector {
  return {
    ...(selector.matchLabels ? { matchLabels: { ...selector.matchLabels } } : {}),
    matchExpressions: [
      ...(selector.matchExpressions ?? []),
      { key: LABEL_QUARANTINE, operator: 'DoesNotExist' },
    ],
  };
}

const hostCidr = (ip: string) => (isIPv4(ip) ? `${ip}/32` : `${ip}/128`);
const sortedUnique = (xs: string[]) => [...new Set(xs)].sort();

export function buildBlockPolicies(
  policy: ThreatPolicy,
  blocks: BlockSets,
  choice: EnforcementChoice,
): KubeObject[] {
  const out: KubeObject[] = [];
  for (const direction of ['Ingress', 'Egress'] as const) {
    const addresses = blocks[direction];
    if (addresses.length === 0) continue;
    const target = direction === 'Ingress' ? choice.ingress : choice.egress;
    out.push(buildBlock(policy, direction, addresses, target));
  }
  return out;
}

function buildBlock(
  policy: ThreatPolicy,
  direction: BlockDirection,
  addresses: BlockedAddress[],
  target: EnforcementTarget,
): KubeObject {
  const cidrs = sortedUnique(addresses.map((a) => hostCidr(a.ip)));
  const name = blockPolicyName(policy.metadata.name ?? '', direction);
  const selector = blockSelector(policy.spec.podSelector);
  switch (target.api) {
    case 'NetworkPolicy':
      return networkPolicyBlock(policy, name, direction, addresses, selector);
    case 'CiliumNetworkPolicy': {
      const rule =
        direction === 'Ingress'
          ? { ingressDeny: [{ fromCIDR: cidrs }] }
          : { egressDeny: [{ toCIDR: cidrs }] };
      return {
        apiVersion: apiVersionOf(target.resource),
        kind: target.resource.kind,
        metadata: owned(policy, name, 'block'),
        spec: { endpointSelector: selector, enableDefaultDeny: { ingress: false, egress: false }, ...rule },
      } as KubeObject;
    }
    case 'CalicoNetworkPolicy': {
      const peer = direction === 'Ingress' ? { source: { nets: cidrs } } : { destination: { nets: cidrs } };
      return {
        apiVersion: apiVersionOf(target.resource),
        kind: target.resource.kind,
        // Policies in a Calico tier are named <tier>.<name>.
        metadata: owned(policy, `foresight.${name.replace(/^foresight-/, '')}`, 'block'),
        spec: {
          tier: 'foresight',
          order: 0,
          selector: calicoSelector(selector),
          types: [direction],
          [direction.toLowerCase()]: [{ action: 'Deny', ...peer }, { action: 'Pass' }],
        },
      } as KubeObject;
    }
    case 'AdminNetworkPolicy': {
      const ns = policy.metadata.namespace ?? '';
      const meta = owned(policy, childName('foresight', `${ns}-${name}`), 'block');
      // Cluster-scoped: no namespace and no owner reference (the controller deletes it).
      delete meta.namespace;
      delete meta.ownerReferences;
      meta.labels = { ...meta.labels, [LABEL_POLICY_NAMESPACE]: ns };
      return {
        apiVersion: apiVersionOf(target.resource),
        kind: target.resource.kind,
        metadata: meta,
        spec: {
          priority: 10,
          subject: {
            pods: {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
              podSelector: selector,
            },
          },
          egress: [{ name: 'foresight-block', action: 'Deny', to: [{ networks: cidrs }] }],
        },
      } as KubeObject;
    }
  }
}

function networkPolicyBlock(
  policy: ThreatPolicy,
  name: string,
  direction: BlockDirection,
  addresses: BlockedAddress[],
  selector: Selector,
): KubeObject {
  const v4 = sortedUnique(addresses.filter((a) => isIPv4(a.ip)).map((a) => hostCidr(a.ip)));
  const v6 = sortedUnique(addresses.filter((a) => !isIPv4(a.ip)).map((a) => hostCidr(a.ip)));
  const peers: Record<string, unknown>[] = [
    { ipBlock: { cidr: '0.0.0.0/0', ...(v4.length > 0 ? { except: v4 } : {}) } },
    { ipBlock: { cidr: '::/0', ...(v6.length > 0 ? { except: v6 } : {}) } },
  ];
  // Some CNIs never match pod traffic with ipBlock: allow all pods explicitly, unless a pod is
  // among the blocked (the pod peer would then allow it again).
  if (!addresses.some((a) => a.inCluster)) peers.push({ namespaceSelector: {} });
  const rule = direction === 'Ingress' ? { ingress: [{ from: peers }] } : { egress: [{ to: peers }] };
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: owned(policy, name, 'block'),
    spec: { podSelector: selector, policyTypes: [direction], ...rule },
  } as KubeObject;
}

/** A label selector in Calico's selector syntax. */
export function calicoSelector(selector: Selector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k} == '${v}'`);
  for (const r of selector.matchExpressions ?? []) {
    const values = (r.values ?? []).map((v) => `'${v}'`).join(', ');
    if (r.operator === 'In') parts.push(`${r.key} in { ${values} }`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} not in { ${values} }`);
    else if (r.operator === 'Exists') parts.push(`has(${r.key})`);
    else if (r.operator === 'DoesNotExist') parts.push(`!has(${r.key})`);
  }
  return parts.length > 0 ? parts.join(' && ') : 'all()';
}

/** The resource of each desired object, for writes and for finding stale ones. */
export function enforcementResources(choice: EnforcementChoice): EnforcementTarget['resource'][] {
  const all = [RESOURCES.networkPolicies, choice.ingress.resource, choice.egress.resource];
  return all.filter((r, i) => all.findIndex((o) => o.group === r.group && o.plural === r.plural) === i);
}
