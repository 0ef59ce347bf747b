/**
 * The ThreatPolicies the demo runs with when there is no cluster to read them from: one per
 * namespace of the simulated cluster (kube-system is a protected namespace, so it gets none),
 * protecting every pod, in Monitor mode, with the ladder of docs/examples/threatpolicy.yaml.
 */
import { createHash } from 'node:crypto';
import type { ThreatPolicy } from '../../controller/threatpolicy/crd-types.js';

export const DEMO_POLICY_NAME = 'default';

function uid(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function defaultPolicy(namespace: string): ThreatPolicy {
  return {
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ThreatPolicy',
    metadata: {
      name: DEMO_POLICY_NAME,
      namespace,
      uid: uid(`${namespace}/${DEMO_POLICY_NAME}`),
      generation: 1,
    },
    spec: {
      podSelector: {},
      mode: 'Monitor',
      forecastHorizonSeconds: 3600,
      weights: { anomaly: 0.6, impact: 0.3, confidence: 0.1 },
      criticality: 'Auto',
      incidentThreshold: 0.5,
      actions: [
        { type: 'Alert', threshold: 0.5, ttlSeconds: 3600, requireApproval: false },
        {
          type: 'RateLimit',
          threshold: 0.7,
          ttlSeconds: 900,
          requireApproval: false,
          rateLimit: { ingress: '10M', egress: '10M' },
        },
        { type: 'Block', threshold: 0.8, ttlSeconds: 1800, requireApproval: false },
        { type: 'Quarantine', threshold: 0.95, ttlSeconds: 3600, requireApproval: true },
      ],
      allowlist: {},
      caps: { maxQuarantinedPods: 2, maxBlockedSources: 100 },
      incidents: { max: 500, retentionSeconds: 7 * 86_400 },
      alertRules: [],
    },
  };
}

export function defaultPolicies(
  namespaces: readonly string[],
  protectedNamespaces: readonly string[],
): ThreatPolicy[] {
  return namespaces.filter((ns) => !protectedNamespaces.includes(ns)).map(defaultPolicy);
}
