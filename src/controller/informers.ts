/**
 * The controller's informers and how their changes become work: every handler only enqueues
 * keys (level-triggered), and only into the queues of the current leadership term.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { ControllerConfig } from '../config/controller-schema.js';
import type { Logger } from '../observability/logger.js';
import { LABEL_ROLE } from './actuators/network-policies.js';
import type { NetworkPolicy } from './actuators/widening.js';
import { INCIDENT_INDEXERS, incidentsOf, type Informers } from './context.js';
import type { KubeClient, KubeObject } from './k8s/client.js';
import { Informer } from './k8s/informer.js';
import { POD_INDEXERS, type Namespace, type Pod } from './k8s/pods.js';
import { RESOURCES, objectKey, type Resource } from './k8s/resources.js';
import type { ControllerMetrics } from './metrics.js';
import type { ThreatIncident, ThreatPolicy } from './threatpolicy/crd-types.js';
import { jsonEqual } from './k8s/conditions.js';

export interface InformerDeps {
  client: KubeClient;
  kubeConfig: KubeConfig;
  config: ControllerConfig;
  logger: Logger;
  metrics: ControllerMetrics;
}

export function createInformers(deps: InformerDeps): Informers {
  const make = <T extends KubeObject>(
    name: string,
    resource: Resource,
    indexers?: Record<string, (o: T) => string[]>,
    clusterScoped = false,
  ) =>
    new Informer<T>({
      name,
      resource,
      client: deps.client,
      kubeConfig: deps.kubeConfig,
      logger: deps.logger.child({ component: `informer/${name}` }),
      namespaces: clusterScoped ? [] : deps.config.namespaces,
      backoff: deps.config.informerRestart,
      ...(indexers ? { indexers } : {}),
      onRestart: () => deps.metrics.informerRestarts.inc({ resource: name }),
    });
  const informers: Informers = {
    policies: make<ThreatPolicy>('threatpolicies', RESOURCES.threatPolicies),
    incidents: make<ThreatIncident>('threatincidents', RESOURCES.threatIncidents, INCIDENT_INDEXERS),
    pods: make<Pod>('pods', RESOURCES.pods, POD_INDEXERS),
    networkPolicies: make<NetworkPolicy>('networkpolicies', RESOURCES.networkPolicies),
  };
  if (deps.config.watchNamespaces) {
    informers.namespaces = make<Namespace>('namespaces', RESOURCES.namespaces, undefined, true);
  }
  return informers;
}

export interface Enqueue {
  policy(key: string): void;
  incident(key: string): void;
}

/** Wires informer changes to queue keys. `target()` is the current term's queues (or none). */
export function wireHandlers(informers: Informers, target: () => Enqueue | undefined): void {
  informers.policies.on((_type, obj) => target()?.policy(objectKey(obj)));
  informers.incidents.on((type, obj, old) => {
    const q = target();
    if (!q) return;
    q.incident(objectKey(obj));
    // The policy aggregates its incidents' blocks and counts: only their decisions matter to it.
    const decided = (i: ThreatIncident | undefined) => [
      i?.status?.phase,
      i?.status?.actions,
      i?.metadata.deletionTimestamp,
    ];
    if (type !== 'update' || !jsonEqual(decided(obj), decided(old))) {
      q.policy(`${obj.metadata.namespace}/${obj.spec?.policyRef?.name ?? ''}`);
    }
  });
  informers.pods.on((_type, obj, old) => {
    const q = target();
    if (!q) return;
    const keys = new Set([...POD_INDEXERS.incident(obj), ...(old ? POD_INDEXERS.incident(old) : [])]);
    for (const k of keys) q.incident(k);
  });
  informers.networkPolicies.on((type, obj) => {
    const q = target();
    const owner = obj.metadata?.ownerReferences?.find((o) => o.kind === 'ThreatPolicy' && o.controller);
    if (!q || !owner) return;
    const ns = obj.metadata?.namespace ?? '';
    q.policy(`${ns}/${owner.name}`);
    // A quarantine waits for its deny-all policy: tell the incidents that wait for it when it appears.
    if (type === 'add' && obj.metadata?.labels?.[LABEL_ROLE] === 'quarantine') {
      for (const inc of incidentsOf(informers, ns, owner.name)) {
        if (inc.status?.actions?.some((a) => a.type === 'Quarantine' && a.state === 'Active'))
          q.incident(objectKey(inc));
      }
    }
  });
}

/** What the controller needs of every informer regardless of its kind. */
export type AnyInformer = Pick<
  Informer<KubeObject>,
  'name' | 'synced' | 'healthy' | 'start' | 'stop' | 'waitForSync' | 'size'
>;

export function allInformers(informers: Informers): AnyInformer[] {
  const list: AnyInformer[] = [
    informers.policies,
    informers.incidents,
    informers.pods,
    informers.networkPolicies,
  ];
  if (informers.namespaces) list.push(informers.namespaces);
  return list;
}

/**
 * The informers readiness waits for. Namespace labels only refine criticality: without the
 * cluster-wide permission to list namespaces (namespaced mode) the controller still works.
 */
export function requiredInformers(informers: Informers): AnyInformer[] {
  return [informers.policies, informers.incidents, informers.pods, informers.networkPolicies];
}
