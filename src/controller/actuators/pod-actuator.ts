/**
 * Applies and reverts the pod side of Quarantine and RateLimit. Quarantine looks up who selects
 * the pod — its controlling owner (ReplicaSet, StatefulSet, DaemonSet, Job), the namespace's
 * Services, and every NetworkPolicy — and detaches those labels, so no allow rule still covers
 * the pod and its owner replaces it. Every write is idempotent and guarded by resourceVersion.
 */
import type { Logger } from '../../observability/logger.js';
import type { KubeClient, KubeObject } from '../k8s/client.js';
import type { Informer } from '../k8s/informer.js';
import type { Pod } from '../k8s/pods.js';
import { RESOURCES, type Resource } from '../k8s/resources.js';
import { mapSelector, selectsEverything, type Selector } from '../k8s/selectors.js';
import type { Bandwidth } from '../threatpolicy/crd-types.js';
import { isForesightQuarantine, type NetworkPolicy } from './widening.js';
import {
  keysToDetach,
  quarantinePatch,
  rateLimitPatch,
  rateLimitReleasePatch,
  releasePatch,
  type MergePatch,
} from './pod-patches.js';

const OWNER_KINDS: Record<string, Resource> = {
  ReplicaSet: RESOURCES.replicaSets,
  StatefulSet: RESOURCES.statefulSets,
  DaemonSet: RESOURCES.daemonSets,
  Job: RESOURCES.jobs,
};

interface WithSelector extends KubeObject {
  spec?: { selector?: Selector | Record<string, string> };
}

export interface PodActuatorDeps {
  client: KubeClient;
  networkPolicies: Informer<NetworkPolicy>;
  logger: Logger;
  now: () => number;
}

export class PodActuator {
  constructor(private readonly deps: PodActuatorDeps) {}

  /** Quarantines the pod for `incident`; false when it already was. */
  async quarantine(pod: Pod, incident: string, quarantineLabel: string): Promise<boolean> {
    const selectors = await this.selectorsCovering(pod);
    const patch = quarantinePatch(
      pod,
      incident,
      quarantineLabel,
      keysToDetach(pod, selectors),
      this.deps.now(),
    );
    return this.apply(pod, patch);
  }

  async release(pod: Pod): Promise<boolean> {
    return this.apply(pod, releasePatch(pod));
  }

  async rateLimit(pod: Pod, incident: string, bandwidth: Bandwidth): Promise<boolean> {
    return this.apply(pod, rateLimitPatch(pod, incident, bandwidth));
  }

  async releaseRateLimit(pod: Pod): Promise<boolean> {
    return this.apply(pod, rateLimitReleasePatch(pod));
  }

  private async apply(pod: Pod, patch: MergePatch | undefined): Promise<boolean> {
    if (!patch) return false;
    await this.deps.client.patch(RESOURCES.pods, pod.metadata?.namespace, pod.metadata?.name ?? '', patch);
    return true;
  }

  /** Every selector that may cover the pod: owner, Services, NetworkPolicies (targets and peers). */
  async selectorsCovering(pod: Pod): Promise<Selector[]> {
    const ns = pod.metadata?.namespace ?? '';
    const selectors: Selector[] = [];
    const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
    const ownerResource = owner ? OWNER_KINDS[owner.kind] : undefined;
    if (owner && ownerResource) {
      const obj = await this.deps.client.find<WithSelector>(ownerResource, ns, owner.name);
      const sel = obj?.spec?.selector;
      if (sel) selectors.push(isLabelSelector(sel) ? sel : (mapSelector(sel) ?? {}));
    } else if (owner?.kind === 'ReplicationController') {
      const obj = await this.deps.client.find<WithSelector>(
        {
          group: '',
          version: 'v1',
          plural: 'replicationcontrollers',
          kind: 'ReplicationController',
          namespaced: true,
        },
        ns,
        owner.name,
      );
      const sel = mapSelector(obj?.spec?.selector as Record<string, string> | undefined);
      if (sel) selectors.push(sel);
    }
    const services = await this.deps.client.list<WithSelector>(RESOURCES.services, ns);
    for (const svc of services.items) {
      const sel = mapSelector(svc.spec?.selector as Record<string, string> | undefined);
      if (sel) selectors.push(sel);
    }
    for (const np of this.deps.networkPolicies.list()) {
      if (isForesightQuarantine(np)) continue;
      if (np.metadata?.namespace === ns && np.spec?.podSelector) selectors.push(np.spec.podSelector);
      for (const rule of [
        ...(np.spec?.ingress ?? []).map((r) => r.from),
        ...(np.spec?.egress ?? []).map((r) => r.to),
      ]) {
        for (const peer of rule ?? []) if (peer.podSelector) selectors.push(peer.podSelector);
      }
    }
    // An empty selector covers every pod and names no label: detaching cannot escape it.
    return selectors.filter((s) => !selectsEverything(s));
  }
}

function isLabelSelector(sel: Selector | Record<string, string>): sel is Selector {
  return 'matchLabels' in sel || 'matchExpressions' in sel;
}
