/**
 * Everything the reconcilers and the verdict intake share: the clients, the informers' caches,
 * the enforcement choice from discovery, and the side channels (events, audit, notifications,
 * decisions). Built once per process by controller.ts; tests build it around a real API server.
 */
import type { ControllerConfig } from '../config/controller-schema.js';
import type { Logger } from '../observability/logger.js';
import type { PodActuator } from './actuators/pod-actuator.js';
import type { NetworkPolicy } from './actuators/widening.js';
import type { AuditSink } from './incidents/audit-sink.js';
import type { ClusterView, Reveal } from './incidents/resolve.js';
import type { KubeClient } from './k8s/client.js';
import type { EnforcementChoice } from './k8s/discovery.js';
import type { EventRecorder } from './k8s/events.js';
import type { Informer } from './k8s/informer.js';
import type { Namespace, Pod } from './k8s/pods.js';
import type { ControllerMetrics } from './metrics.js';
import type { DecisionPublisher } from './notifications/decisions.js';
import type { Notifier } from './notifications/notifier.js';
import type { ThreatIncident, ThreatPolicy } from './threatpolicy/crd-types.js';

export interface Informers {
  policies: Informer<ThreatPolicy>;
  incidents: Informer<ThreatIncident>;
  pods: Informer<Pod>;
  networkPolicies: Informer<NetworkPolicy>;
  namespaces?: Informer<Namespace>;
}

export interface ControllerContext {
  config: ControllerConfig;
  client: KubeClient;
  informers: Informers;
  enforcement: EnforcementChoice;
  reveal: Reveal;
  view: ClusterView;
  events: EventRecorder;
  audit: AuditSink;
  notifier: Notifier;
  decisions: DecisionPublisher;
  podActuator: PodActuator;
  metrics: ControllerMetrics;
  logger: Logger;
  now: () => number;
  /** Set by the running controller: queue a policy or incident key for reconcile. */
  enqueuePolicy: (key: string) => void;
  enqueueIncident: (key: string) => void;
}

/** The informer-backed ClusterView used for resolution. */
export function informerView(informers: Informers): ClusterView {
  return {
    podsByIp: (ip) => informers.pods.byIndex('ip', ip),
    podsOfWorkload: (ns, workload) => informers.pods.byIndex('workload', `${ns}/${workload}`),
    namespaceLabels: (ns) => informers.namespaces?.get(undefined, ns)?.metadata?.labels,
  };
}

/** Incidents of one policy (informer index `policy` holds `namespace/policyName`). */
export function incidentsOf(informers: Informers, namespace: string, policyName: string): ThreatIncident[] {
  return informers.incidents.byIndex('policy', `${namespace}/${policyName}`);
}

export const INCIDENT_INDEXERS = {
  policy: (inc: ThreatIncident): string[] => [
    `${inc.metadata.namespace ?? ''}/${inc.spec?.policyRef?.name ?? ''}`,
  ],
};
