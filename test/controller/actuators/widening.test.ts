/** Which NetworkPolicies a quarantine's deny-all cannot override (allowed traffic is a union). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quarantineLeaks, type NetworkPolicy } from '../../../src/controller/actuators/widening.js';

const np = (
  name: string,
  spec: NetworkPolicy['spec'],
  labels: Record<string, string> = {},
): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'shop', labels },
  spec,
});

describe('quarantineLeaks', () => {
  it('names namespace-wide policies that allow traffic, in either direction', () => {
    const policies = [
      np('allow-ingress-all', { podSelector: {}, ingress: [{}] }),
      np('allow-dns', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: {} }] }],
      }),
      np('allow-from-lb', {
        podSelector: { matchLabels: {} },
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }],
      }),
    ];
    assert.deepEqual(quarantineLeaks(policies), ['allow-dns', 'allow-from-lb', 'allow-ingress-all']);
  });

  it('ignores default-deny policies, policies with a selector, and the quarantine policy itself', () => {
    const policies = [
      np('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      np('api-only', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{}] }),
      np('not-app-x', {
        podSelector: { matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] },
        ingress: [{}],
      }),
      np('egress-rules-ingress-only', { podSelector: {}, policyTypes: ['Ingress'], egress: [{}] }),
      np(
        'foresight-quarantine-guard',
        { podSelector: {}, ingress: [{}] },
        { 'app.kubernetes.io/managed-by': 'foresight', 'foresight.dev/role': 'quarantine' },
      ),
    ];
    assert.deepEqual(quarantineLeaks(policies), []);
  });
});
