/**
 * The generated network policies, compared with golden files in ./golden. After an intended
 * change, regenerate them with UPDATE_GOLDEN=1 and review the diff.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import {
  buildBlockPolicies,
  buildQuarantinePolicy,
  calicoSelector,
  type BlockSets,
} from '../../../src/controller/actuators/network-policies.js';
import { chooseEnforcement } from '../../../src/controller/k8s/discovery.js';
import { policy } from '../support/fixtures.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');

function golden(name: string, objects: unknown): void {
  const text = yaml.dump(objects, { noRefs: true, lineWidth: 120 });
  const file = join(GOLDEN, `${name}.yaml`);
  if (process.env.UPDATE_GOLDEN === '1') {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(file, text);
    return;
  }
  assert.equal(text, readFileSync(file, 'utf8'), `${name}.yaml differs (UPDATE_GOLDEN=1 regenerates it)`);
}

const guard = policy('shop', 'guard', {
  podSelector: {
    matchLabels: { app: 'api' },
    matchExpressions: [{ key: 'tier', operator: 'In', values: ['front', 'back'] }],
  },
});
const external: BlockSets = {
  Ingress: [
    { ip: '203.0.113.9', inCluster: false },
    { ip: '198.51.100.7', inCluster: false },
    { ip: '2001:db8::1', inCluster: false },
  ],
  Egress: [],
};
const both: BlockSets = { Ingress: external.Ingress, Egress: [{ ip: '192.0.2.44', inCluster: false }] };

describe('network policy builders', () => {
  const np = chooseEnforcement(new Map());
  const cases: [string, unknown][] = [
    ['quarantine', buildQuarantinePolicy(guard)],
    ['block-networkpolicy-ingress', buildBlockPolicies(guard, external, np)],
    [
      'block-networkpolicy-in-cluster-source',
      buildBlockPolicies(guard, { Ingress: [{ ip: '10.244.1.7', inCluster: true }], Egress: [] }, np),
    ],
    ['block-networkpolicy-both-directions', buildBlockPolicies(guard, both, np)],
    [
      'block-cilium',
      buildBlockPolicies(
        guard,
        both,
        chooseEnforcement(new Map([['cilium.io/v2', ['ciliumnetworkpolicies']]])),
      ),
    ],
    [
      'block-calico',
      buildBlockPolicies(
        guard,
        both,
        chooseEnforcement(new Map([['projectcalico.org/v3', ['networkpolicies']]])),
      ),
    ],
    [
      'block-adminnetworkpolicy',
      buildBlockPolicies(
        guard,
        both,
        chooseEnforcement(new Map([['policy.networking.k8s.io/v1alpha1', ['adminnetworkpolicies']]])),
      ),
    ],
  ];
  for (const [name, objects] of cases)
    it(`builds ${name} as in its golden file`, () => golden(name, objects));

  it('builds nothing for a direction with nothing to block', () => {
    assert.deepEqual(buildBlockPolicies(guard, { Ingress: [], Egress: [] }, np), []);
  });

  it('translates label selectors to Calico selectors', () => {
    assert.equal(
      calicoSelector({
        matchLabels: { app: 'api' },
        matchExpressions: [
          { key: 'q', operator: 'DoesNotExist' },
          { key: 't', operator: 'NotIn', values: ['a'] },
        ],
      }),
      "app == 'api' && !has(q) && t not in { 'a' }",
    );
    assert.equal(calicoSelector({}), 'all()');
  });
});
