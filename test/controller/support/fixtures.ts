/** Pods, parties and policies for pure tests of matching, eligibility and builders. */
import type { Pod } from '../../../src/controller/k8s/pods.js';
import type { Party } from '../../../src/controller/threatpolicy/matching.js';
import type { ThreatPolicy } from '../../../src/controller/threatpolicy/crd-types.js';

export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ip?: string,
  annotations?: Record<string, string>,
): Pod {
  return {
    metadata: { namespace, name, labels, ...(annotations ? { annotations } : {}), resourceVersion: '7' },
    status: ip ? { podIP: ip, phase: 'Running' } : { phase: 'Pending' },
  };
}

export function party(token: string, ip?: string, p?: Pod): Party {
  return { token, ...(ip ? { ip } : {}), ...(p ? { pod: p } : {}) };
}

export function policy(
  namespace: string,
  name: string,
  spec: Partial<ThreatPolicy['spec']> = {},
): ThreatPolicy {
  return {
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ThreatPolicy',
    metadata: { namespace, name, uid: `uid-${name}` },
    spec: {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      forecastHorizonSeconds: 3600,
      weights: { anomaly: 0.6, impact: 0.3, confidence: 0.1 },
      criticality: 'Auto',
      incidentThreshold: 0.5,
      actions: [{ type: 'Block', threshold: 0.7, ttlSeconds: 600, requireApproval: false }],
      allowlist: {},
      caps: { maxQuarantinedPods: 3, maxBlockedSources: 50 },
      incidents: { max: 200, retentionSeconds: 604800 },
      ...spec,
    },
  };
}
