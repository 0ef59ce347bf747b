/**
 * Brings the network policies a ThreatPolicy owns in line with the desired set: creates what is
 * missing, replaces what differs (spec, labels, owner), deletes what is no longer wanted. Writes
 * only when the live object differs. NetworkPolicies are read from the informer; the optional
 * deny-capable kinds (found by discovery) are listed on demand by label.
 */
import { ForesightError } from '../../errors.js';
import type { KubeClient, KubeObject } from '../k8s/client.js';
import { jsonEqual } from '../k8s/conditions.js';
import { isAlreadyExists } from '../k8s/errors.js';
import type { Informer } from '../k8s/informer.js';
import {
  LABEL_POLICY,
  LABEL_POLICY_NAMESPACE,
  MANAGED_BY,
  RESOURCES,
  apiVersionOf,
  type Resource,
} from '../k8s/resources.js';
import type { NetworkPolicy } from '../actuators/widening.js';

interface Spec extends KubeObject {
  spec?: unknown;
}

export interface OwnedSync {
  created: string[];
  updated: string[];
  deleted: string[];
}

const sameResource = (a: Resource, b: Resource) => a.group === b.group && a.plural === b.plural;

export function ownedSelector(policyLabel: string, namespace?: string): string {
  const base = `app.kubernetes.io/managed-by=${MANAGED_BY['app.kubernetes.io/managed-by']},${LABEL_POLICY}=${policyLabel}`;
  return namespace ? `${base},${LABEL_POLICY_NAMESPACE}=${namespace}` : base;
}

/** Live objects of `resource` labelled as this policy's. */
export async function liveOwned(
  client: KubeClient,
  networkPolicies: Informer<NetworkPolicy>,
  resource: Resource,
  namespace: string,
  policyLabel: string,
): Promise<Spec[]> {
  if (sameResource(resource, RESOURCES.networkPolicies)) {
    return networkPolicies
      .list(namespace)
      .filter(
        (np) =>
          np.metadata?.labels?.['app.kubernetes.io/managed-by'] === 'foresight' &&
          np.metadata.labels[LABEL_POLICY] === policyLabel,
      );
  }
  const list = resource.namespaced
    ? await client.list<Spec>(resource, namespace, { labelSelector: ownedSelector(policyLabel) })
    : await client.list<Spec>(resource, undefined, { labelSelector: ownedSelector(policyLabel, namespace) });
  return list.items;
}

function differs(desired: Spec, live: Spec): boolean {
  const labels = live.metadata?.labels ?? {};
  const wantLabels = desired.metadata?.labels ?? {};
  if (Object.entries(wantLabels).some(([k, v]) => labels[k] !== v)) return true;
  const owners = (live.metadata?.ownerReferences ?? []).map((o) => o.uid);
  if ((desired.metadata?.ownerReferences ?? []).some((o) => !owners.includes(o.uid))) return true;
  return !jsonEqual(desired.spec, live.spec);
}

/**
 * Makes the live objects of `resources` (for one policy) equal `desired`. Objects of a resource
 * not in `desired` are deleted, so leaving a kind out removes what the policy made of it.
 */
export async function syncOwned(
  client: KubeClient,
  networkPolicies: Informer<NetworkPolicy>,
  resources: readonly Resource[],
  namespace: string,
  policyLabel: string,
  desired: readonly Spec[],
): Promise<OwnedSync> {
  const result: OwnedSync = { created: [], updated: [], deleted: [] };
  for (const resource of resources) {
    const want = desired.filter((d) => d.apiVersion === apiVersionOf(resource) && d.kind === resource.kind);
    const live = await liveOwned(client, networkPolicies, resource, namespace, policyLabel);
    const liveByName = new Map(live.map((o) => [o.metadata?.name ?? '', o]));
    for (const d of want) {
      const name = d.metadata?.name ?? '';
      const current = liveByName.get(name);
      if (!current) {
        try {
          await client.create(resource, d);
          result.created.push(`${resource.kind}/${name}`);
        } catch (err) {
          // Created by our previous pass, which the informer has not shown yet: make it what we want now.
          if (!isAlreadyExists(err)) throw err;
          const existing = await client.get<Spec>(resource, d.metadata?.namespace, name);
          if (existing.metadata?.labels?.[LABEL_POLICY] !== policyLabel) {
            throw new ForesightError(
              'name-taken',
              `${resource.kind} ${name} exists and is not this policy's: not touching it`,
            );
          }
          await patchToDesired(client, resource, d, true);
          result.updated.push(`${resource.kind}/${name}`);
        }
      } else if (differs(d, current)) {
        await patchToDesired(client, resource, d, current.metadata?.labels !== undefined);
        result.updated.push(`${resource.kind}/${name}`);
      }
    }
    const wanted = new Set(want.map((d) => d.metadata?.name));
    for (const o of live) {
      if (wanted.has(o.metadata?.name)) continue;
      await client.delete(resource, o.metadata?.namespace, o.metadata?.name ?? '', { uid: o.metadata?.uid });
      result.deleted.push(`${resource.kind}/${o.metadata?.name}`);
    }
  }
  return result;
}

/**
 * Replaces the spec with a JSON patch, which needs no resourceVersion: the informer may not show
 * our previous write yet, and a PUT from it would conflict. Labels others added stay.
 */
async function patchToDesired(
  client: KubeClient,
  resource: Resource,
  d: Spec,
  hasLabels: boolean,
): Promise<void> {
  const escape = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');
  const ops: unknown[] = [{ op: 'replace', path: '/spec', value: d.spec }];
  if (hasLabels) {
    for (const [k, v] of Object.entries(d.metadata?.labels ?? {}))
      ops.push({ op: 'add', path: `/metadata/labels/${escape(k)}`, value: v });
  } else {
    ops.push({ op: 'add', path: '/metadata/labels', value: d.metadata?.labels ?? {} });
  }
  if (d.metadata?.ownerReferences)
    ops.push({ op: 'add', path: '/metadata/ownerReferences', value: d.metadata.ownerReferences });
  await client.patch(resource, d.metadata?.namespace, d.metadata?.name ?? '', ops, { type: 'json' });
}
