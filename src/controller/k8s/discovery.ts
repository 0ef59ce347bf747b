/**
 * Which API carries blocks in this cluster, decided from API discovery rather than from the
 * server version (docs/adr/0002, 0007): a deny-capable API when one is served — Cilium, then
 * Calico (projectcalico.org/v3, through the Calico API server), then AdminNetworkPolicy (egress only: its ingress peers cannot name CIDRs) — and
 * Kubernetes NetworkPolicy otherwise. Pure choice over the discovery documents, plus the fetch.
 */
import type { EnforcementApi } from '../threatpolicy/crd-types.js';
import type { KubeClient } from './client.js';
import type { Resource } from './resources.js';

export interface ApiGroupList {
  groups: { name: string; versions: { groupVersion: string; version: string }[] }[];
}

export interface ResourceList {
  groupVersion: string;
  resources: { name: string; kind: string; namespaced: boolean }[];
}

export interface EnforcementTarget {
  api: EnforcementApi;
  resource: Resource;
  /** What this API cannot guarantee, for the incident's status. */
  limits: string;
}

export interface EnforcementChoice {
  ingress: EnforcementTarget;
  egress: EnforcementTarget;
}

const CANDIDATES: {
  api: EnforcementApi;
  group: string;
  version: string;
  plural: string;
  kind: string;
  namespaced: boolean;
}[] = [
  {
    api: 'CiliumNetworkPolicy',
    group: 'cilium.io',
    version: 'v2',
    plural: 'ciliumnetworkpolicies',
    kind: 'CiliumNetworkPolicy',
    namespaced: true,
  },
  {
    api: 'CalicoNetworkPolicy',
    group: 'projectcalico.org',
    version: 'v3',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
  {
    api: 'AdminNetworkPolicy',
    group: 'policy.networking.k8s.io',
    version: 'v1alpha1',
    plural: 'adminnetworkpolicies',
    kind: 'AdminNetworkPolicy',
    namespaced: false,
  },
];

export const LIMITS: Record<EnforcementApi, string> = {
  NetworkPolicy:
    'Kubernetes NetworkPolicy is allow-only and additive: the block holds only while no other policy allows the ' +
    'source, so it is refused when other policies already select the protected pods (an allow-all-except rule ' +
    'would widen them); whether ipBlock matches in-cluster pod addresses depends on the CNI.',
  CiliumNetworkPolicy:
    'CiliumNetworkPolicy deny rules take precedence over every allow rule; needs Cilium 1.15+ (enableDefaultDeny: false ' +
    'keeps the deny-only policy from isolating the pods).',
  CalicoNetworkPolicy:
    'Calico NetworkPolicy in the foresight tier (Deny, then Pass to the next tier): evaluated before the default ' +
    "tier's Calico and Kubernetes policies; needs the foresight Tier (the Helm chart creates it).",
  AdminNetworkPolicy:
    'AdminNetworkPolicy Deny overrides namespace NetworkPolicies; it is cluster-scoped, so it is removed by the ' +
    'controller rather than by garbage collection.',
};

export const NETWORK_POLICY_TARGET: EnforcementTarget = {
  api: 'NetworkPolicy',
  resource: {
    group: 'networking.k8s.io',
    version: 'v1',
    plural: 'networkpolicies',
    kind: 'NetworkPolicy',
    namespaced: true,
  },
  limits: LIMITS.NetworkPolicy,
};

/** Chooses from discovery: `served` holds `group/version` → resource names the server lists. */
export function chooseEnforcement(served: ReadonlyMap<string, readonly string[]>): EnforcementChoice {
  const found = CANDIDATES.filter((c) => served.get(`${c.group}/${c.version}`)?.includes(c.plural));
  const toTarget = (c: (typeof CANDIDATES)[number]): EnforcementTarget => ({
    api: c.api,
    resource: {
      group: c.group,
      version: c.version,
      plural: c.plural,
      kind: c.kind,
      namespaced: c.namespaced,
    },
    limits: LIMITS[c.api],
  });
  const full = found.find((c) => c.api !== 'AdminNetworkPolicy');
  if (full) return { ingress: toTarget(full), egress: toTarget(full) };
  const anp = found.find((c) => c.api === 'AdminNetworkPolicy');
  return { ingress: NETWORK_POLICY_TARGET, egress: anp ? toTarget(anp) : NETWORK_POLICY_TARGET };
}

/** Reads /apis and the resource lists of the candidate groups the server serves. */
export async function discoverServed(client: KubeClient): Promise<Map<string, string[]>> {
  const groups = await client.getPath<ApiGroupList>('/apis');
  const served = new Map<string, string[]>();
  const wanted = new Set(CANDIDATES.map((c) => `${c.group}/${c.version}`));
  for (const g of groups.groups) {
    for (const v of g.versions) {
      if (!wanted.has(v.groupVersion)) continue;
      const list = await client.getPath<ResourceList>(`/apis/${v.groupVersion}`);
      served.set(
        v.groupVersion,
        list.resources.map((r) => r.name),
      );
    }
  }
  return served;
}

export async function discoverEnforcement(client: KubeClient): Promise<EnforcementChoice> {
  return chooseEnforcement(await discoverServed(client));
}
