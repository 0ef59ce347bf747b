/** Selectors, conditions, discovery choice, names and lease times: named table tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childName, incidentName, policyLabelValue } from '../../../src/controller/actuators/names.js';
import { isolates, wideningPolicies } from '../../../src/controller/actuators/widening.js';
import { jsonEqual, setConditions } from '../../../src/controller/k8s/conditions.js';
import { chooseEnforcement } from '../../../src/controller/k8s/discovery.js';
import { microTime } from '../../../src/controller/k8s/leader-election.js';
import { workloadOf } from '../../../src/controller/k8s/pods.js';
import { matchesSelector, selectorString } from '../../../src/controller/k8s/selectors.js';
import { pod } from '../support/fixtures.js';

describe('label selectors', () => {
  const labels = { app: 'api', tier: 'front' };
  const cases: [string, Parameters<typeof matchesSelector>[0], boolean][] = [
    ['empty selector matches everything', {}, true],
    ['missing selector matches nothing', undefined, false],
    ['matchLabels all present', { matchLabels: { app: 'api' } }, true],
    ['matchLabels one differs', { matchLabels: { app: 'api', tier: 'back' } }, false],
    ['In', { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }] }, true],
    [
      'NotIn on a missing key',
      { matchExpressions: [{ key: 'zone', operator: 'NotIn', values: ['a'] }] },
      true,
    ],
    ['Exists', { matchExpressions: [{ key: 'app', operator: 'Exists' }] }, true],
    ['DoesNotExist', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
  ];
  for (const [name, selector, want] of cases)
    it(name, () => assert.equal(matchesSelector(selector, labels), want));

  it('renders the labelSelector query', () => {
    assert.equal(
      selectorString({
        matchLabels: { a: 'b' },
        matchExpressions: [
          { key: 'c', operator: 'In', values: ['d', 'e'] },
          { key: 'f', operator: 'DoesNotExist' },
        ],
      }),
      'a=b,c in (d,e),!f',
    );
  });
});

describe('conditions', () => {
  const t1 = new Date('2026-01-05T10:00:00Z');
  const t2 = new Date('2026-01-05T11:00:00Z');
  it('keeps lastTransitionTime while the status holds and moves it when it flips', () => {
    const first = setConditions(
      undefined,
      [{ type: 'Ready', status: 'True', reason: 'R', message: 'm' }],
      1,
      t1,
    );
    const same = setConditions(
      first,
      [{ type: 'Ready', status: 'True', reason: 'R2', message: 'm2' }],
      2,
      t2,
    );
    assert.equal(same[0]?.lastTransitionTime, '2026-01-05T10:00:00Z');
    assert.equal(same[0]?.observedGeneration, 2);
    const flipped = setConditions(
      same,
      [{ type: 'Ready', status: 'False', reason: 'R', message: '' }],
      2,
      t2,
    );
    assert.equal(flipped[0]?.lastTransitionTime, '2026-01-05T11:00:00Z');
    assert.equal(flipped[0]?.message, 'R', 'never an empty message: 1.20 reads it as null');
  });

  it('compares JSON values ignoring undefined fields', () => {
    assert.equal(jsonEqual({ a: 1, b: undefined, c: [1, { d: 'x' }] }, { c: [1, { d: 'x' }], a: 1 }), true);
    assert.equal(jsonEqual({ a: [1, 2] }, { a: [2, 1] }), false);
  });
});

describe('enforcement discovery', () => {
  const cases: [string, [string, string[]][], string, string][] = [
    ['nothing deny-capable: NetworkPolicy', [], 'NetworkPolicy', 'NetworkPolicy'],
    [
      'Cilium',
      [['cilium.io/v2', ['ciliumnetworkpolicies', 'ciliumendpoints']]],
      'CiliumNetworkPolicy',
      'CiliumNetworkPolicy',
    ],
    [
      'Calico API server',
      [['projectcalico.org/v3', ['networkpolicies']]],
      'CalicoNetworkPolicy',
      'CalicoNetworkPolicy',
    ],
    [
      'AdminNetworkPolicy only: egress',
      [['policy.networking.k8s.io/v1alpha1', ['adminnetworkpolicies']]],
      'NetworkPolicy',
      'AdminNetworkPolicy',
    ],
    [
      'Cilium wins over AdminNetworkPolicy',
      [
        ['policy.networking.k8s.io/v1alpha1', ['adminnetworkpolicies']],
        ['cilium.io/v2', ['ciliumnetworkpolicies']],
      ],
      'CiliumNetworkPolicy',
      'CiliumNetworkPolicy',
    ],
    [
      'a group without the resource does not count',
      [['cilium.io/v2', ['ciliumendpoints']]],
      'NetworkPolicy',
      'NetworkPolicy',
    ],
  ];
  for (const [name, served, ingress, egress] of cases) {
    it(name, () => {
      const choice = chooseEnforcement(new Map(served));
      assert.deepEqual([choice.ingress.api, choice.egress.api], [ingress, egress]);
    });
  }
});

describe('names', () => {
  it('derives incident names from policy and entity, stable and within limits', () => {
    const a = incidentName('guard', 'source', 'ip:t4:0a0b0c0d');
    assert.equal(a, incidentName('guard', 'source', 'ip:t4:0a0b0c0d'));
    assert.notEqual(a, incidentName('guard', 'destination', 'ip:t4:0a0b0c0d'));
    assert.match(a, /^guard-t4-0a0b0c0d-[0-9a-f]{8}$/);
    assert.ok(incidentName('p'.repeat(253), 'source', 'x'.repeat(500)).length <= 253);
  });

  it('keeps label values and child names within Kubernetes limits', () => {
    assert.equal(policyLabelValue('guard'), 'guard');
    assert.match(policyLabelValue('g'.repeat(80)), /^h-[0-9a-f]{20}$/);
    assert.equal(childName('foresight-block-ingress', 'p'.repeat(300)).length, 253);
  });

  it('names a pod workload the way the detector does', () => {
    const rsPod = pod('shop', 'api-5d8f-abcde', { 'pod-template-hash': '5d8f' });
    rsPod.metadata!.ownerReferences = [
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'api-5d8f', uid: 'u', controller: true },
    ];
    assert.equal(workloadOf(rsPod), 'api');
    assert.equal(workloadOf(pod('shop', 'bare', {})), 'bare');
  });

  it('writes lease times with microseconds', () => {
    assert.equal(microTime(Date.parse('2026-01-05T10:00:00.123Z')), '2026-01-05T10:00:00.123000Z');
  });
});

describe('widening', () => {
  const pods = [
    pod('shop', 'api-0', { app: 'api' }),
    pod('shop', 'q-0', { app: 'api', 'foresight.dev/quarantine': 'guard' }),
  ];
  const np = (name: string, spec: Record<string, unknown>, labels: Record<string, string> = {}) => ({
    metadata: { name, namespace: 'shop', labels },
    spec,
  });
  it('names the other policies that isolate the pods a block would select', () => {
    const policies = [
      np('only-frontend', { podSelector: { matchLabels: { app: 'api' } } }),
      np('egress-only', { podSelector: {}, policyTypes: ['Egress'] }),
      np('others', { podSelector: { matchLabels: { app: 'db' } } }),
      np(
        'foresight-block-ingress-guard',
        { podSelector: { matchLabels: { app: 'api' } } },
        { 'app.kubernetes.io/managed-by': 'foresight', 'foresight.dev/policy': 'guard' },
      ),
      np(
        'foresight-quarantine-x',
        { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
        { 'app.kubernetes.io/managed-by': 'foresight', 'foresight.dev/role': 'quarantine' },
      ),
    ];
    assert.deepEqual(wideningPolicies('guard', { matchLabels: { app: 'api' } }, pods, policies, 'Ingress'), [
      'only-frontend',
    ]);
    assert.deepEqual(wideningPolicies('guard', { matchLabels: { app: 'api' } }, pods, policies, 'Egress'), [
      'egress-only',
    ]);
  });

  it('defaults policyTypes as the API server does', () => {
    assert.equal(isolates({ spec: { podSelector: {} } }, 'Egress'), false);
    assert.equal(isolates({ spec: { podSelector: {}, egress: [{}] } }, 'Egress'), true);
  });
});
