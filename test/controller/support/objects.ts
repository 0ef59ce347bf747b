/** Building and reading the controller's objects in integration tests. */
import type { KubeClient, KubeObject } from '../../../src/controller/k8s/client.js';
import { RESOURCES } from '../../../src/controller/k8s/resources.js';
import { eventually } from './wait.js';
import type { NetworkPolicy } from '../../../src/controller/actuators/widening.js';
import type {
  ActionStatus,
  ActionType,
  ThreatIncident,
  ThreatPolicy,
} from '../../../src/controller/threatpolicy/crd-types.js';

export function policyObject(namespace: string, name: string, spec: Record<string, unknown>): ThreatPolicy {
  return {
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ThreatPolicy',
    metadata: { name, namespace },
    spec: { podSelector: {}, ...spec },
  } as unknown as ThreatPolicy;
}

export async function createPolicy(
  client: KubeClient,
  namespace: string,
  name: string,
  spec: Record<string, unknown>,
): Promise<ThreatPolicy> {
  return client.create(RESOURCES.threatPolicies, policyObject(namespace, name, spec));
}

export async function incidents(client: KubeClient, namespace: string): Promise<ThreatIncident[]> {
  return (await client.list<ThreatIncident>(RESOURCES.threatIncidents, namespace)).items;
}

export async function networkPolicies(client: KubeClient, namespace: string): Promise<NetworkPolicy[]> {
  return (await client.list<NetworkPolicy>(RESOURCES.networkPolicies, namespace)).items;
}

export function action(incident: ThreatIncident | undefined, type: ActionType): ActionStatus | undefined {
  return incident?.status?.actions?.find((a) => a.type === type);
}

/** The incident whose entity key is `key`, once it exists. */
export async function incidentFor(
  client: KubeClient,
  namespace: string,
  key: string,
): Promise<ThreatIncident | undefined> {
  return (await incidents(client, namespace)).find((i) => i.spec.entity.key === key);
}

export interface EventObject extends KubeObject {
  reason?: string;
  message?: string;
  involvedObject?: { name?: string; kind?: string };
}

export async function eventsFor(client: KubeClient, namespace: string, name: string): Promise<EventObject[]> {
  return (await client.list<EventObject>(RESOURCES.events, namespace)).items.filter(
    (e) => e.involvedObject?.name === name,
  );
}

/** The addresses a Foresight allow-all-except NetworkPolicy leaves out. */
export function exceptedCidrs(np: NetworkPolicy | undefined): string[] {
  const rules = [
    ...(np?.spec?.ingress ?? []).map((r) => r.from),
    ...(np?.spec?.egress ?? []).map((r) => r.to),
  ];
  return rules.flatMap((peers) => (peers ?? []).flatMap((p) => p.ipBlock?.except ?? [])).sort();
}

/**
 * Waits until the controller has seen the policy (it wrote the policy's status) and the pods'
 * addresses: a verdict that arrives before its policy exists is, rightly, matched by nothing.
 */
export async function whenSeen(
  client: KubeClient,
  controller: { enricher?: { lookup(ip: string): unknown } },
  namespace: string,
  policy: string,
  ips: readonly string[] = [],
): Promise<void> {
  await eventually(
    async () => {
      const p = await client.get<ThreatPolicy>(RESOURCES.threatPolicies, namespace, policy);
      if (p.status?.observedGeneration !== p.metadata.generation) return false;
      return ips.every((ip) => controller.enricher?.lookup(ip) !== undefined);
    },
    20_000,
    50,
    `the controller to see ${namespace}/${policy}`,
  );
}
