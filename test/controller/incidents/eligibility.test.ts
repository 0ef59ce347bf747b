/** The rules nothing overrides: allowlists, protected workloads, caps, widening. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideEligibility, type EligibilityInput } from '../../../src/controller/incidents/eligibility.js';
import { NETWORK_POLICY_TARGET, chooseEnforcement } from '../../../src/controller/k8s/discovery.js';
import { ANNOTATION_QUARANTINE } from '../../../src/controller/k8s/pods.js';
import { geometry, type Resolved } from '../../../src/controller/threatpolicy/matching.js';
import { party, pod, policy } from '../support/fixtures.js';

const api0 = pod('shop', 'api-0', { app: 'api' }, '10.0.0.10');
const api1 = pod('shop', 'api-1', { app: 'api' }, '10.0.0.11');
const scope = { namespace: 'shop', selector: { matchLabels: { app: 'api' } } };

function input(
  resolved: Resolved,
  over: Partial<EligibilityInput> = {},
  kind: 'source' | 'destination' = 'source',
): EligibilityInput {
  const p = policy('shop', 'guard');
  return {
    spec: p.spec,
    namespace: 'shop',
    incident: 'shop/i1',
    resolved,
    geometry: geometry(kind, resolved, scope),
    guard: {
      protectedNamespaces: new Set(['kube-system', 'foresight']),
      operatorLabels: { 'app.kubernetes.io/name': 'foresight' },
    },
    usage: { quarantinedPods: 0, blockedAddresses: 0 },
    enforcement: { ingress: NETWORK_POLICY_TARGET, egress: NETWORK_POLICY_TARGET },
    widening: { Ingress: [], Egress: [] },
    ...over,
  };
}

const attack: Resolved = {
  entityParties: [party('tX', '203.0.113.9')],
  entityPods: [],
  targetParties: [party('tA', '10.0.0.10', api0)],
};
const compromised: Resolved = {
  entityParties: [party('tA', '10.0.0.10', api0), party('tB', '10.0.0.11', api1)],
  entityPods: [api0, api1],
  targetParties: [party('tX', '203.0.113.9')],
};

const reasons = (out: ReturnType<typeof decideEligibility>) =>
  Object.fromEntries(Object.entries(out).map(([k, v]) => [k, v.ok ? 'ok' : v.reason]));

describe('decideEligibility', () => {
  it('blocks an outside attacker on ingress, and has nothing to quarantine', () => {
    const out = decideEligibility(input(attack));
    assert.deepEqual(reasons(out), {
      Alert: 'ok',
      Quarantine: 'NotApplicable',
      RateLimit: 'ok',
      Block: 'ok',
    });
    assert.deepEqual(out.Block, {
      ok: true,
      addresses: ['tX'],
      direction: 'Ingress',
      message: '1 address, ingress, via NetworkPolicy',
    });
  });

  it('refuses everything, alerts included, for an allowlisted source', () => {
    const out = decideEligibility(
      input(attack, { spec: policy('shop', 'g', { allowlist: { cidrs: ['203.0.113.0/24'] } }).spec }),
    );
    assert.deepEqual(reasons(out), {
      Alert: 'Allowlisted',
      RateLimit: 'Allowlisted',
      Block: 'Allowlisted',
      Quarantine: 'Allowlisted',
    });
  });

  it('refuses an allowlisted namespace and an allowlisted pod selector', () => {
    const fromMonitoring: Resolved = {
      ...attack,
      entityParties: [party('tM', '10.0.9.9', pod('monitoring', 'prom-0', {}, '10.0.9.9'))],
    };
    assert.equal(
      reasons(
        decideEligibility(
          input(fromMonitoring, {
            spec: policy('shop', 'g', { allowlist: { namespaces: ['monitoring'] } }).spec,
          }),
        ),
      ).Block,
      'Allowlisted',
    );
    const scanner = pod('shop', 'scan-0', { app: 'api', role: 'scanner' }, '10.0.0.30');
    const r: Resolved = {
      entityParties: [party('tS', '10.0.0.30', scanner)],
      entityPods: [scanner],
      targetParties: [party('tX', '203.0.113.9')],
    };
    assert.equal(
      reasons(
        decideEligibility(
          input(r, {
            spec: policy('shop', 'g', { allowlist: { podSelectors: [{ matchLabels: { role: 'scanner' } }] } })
              .spec,
          }),
        ),
      ).Quarantine,
      'Allowlisted',
    );
  });

  it('never acts on kube-system or the operator, but still alerts', () => {
    const dns = pod('kube-system', 'coredns-0', {}, '10.0.5.5');
    const r: Resolved = {
      entityParties: [party('tK', '10.0.5.5', dns)],
      entityPods: [dns],
      targetParties: [party('tA', '10.0.0.10', api0)],
    };
    assert.deepEqual(reasons(decideEligibility(input(r))), {
      Alert: 'ok',
      RateLimit: 'ProtectedWorkload',
      Block: 'ProtectedWorkload',
      Quarantine: 'ProtectedWorkload',
    });
    const operator = pod(
      'shop',
      'foresight-0',
      { app: 'api', 'app.kubernetes.io/name': 'foresight' },
      '10.0.0.40',
    );
    const r2: Resolved = {
      entityParties: [party('tF', '10.0.0.40', operator)],
      entityPods: [operator],
      targetParties: [party('tX', '203.0.113.9')],
    };
    assert.equal(reasons(decideEligibility(input(r2))).Quarantine, 'ProtectedWorkload');
  });

  it('quarantines up to the cap, keeping the pods it already holds', () => {
    const held = pod('shop', 'api-1', { 'foresight.dev/quarantine': 'guard' }, '10.0.0.11', {
      [ANNOTATION_QUARANTINE]: JSON.stringify({
        incident: 'shop/i1',
        labels: { app: 'api' },
        detached: ['app'],
        at: 'x',
      }),
    });
    const r: Resolved = {
      ...compromised,
      entityPods: [api0, held],
      entityParties: [party('tA', '10.0.0.10', api0), party('tB', '10.0.0.11', held)],
    };
    const spec = policy('shop', 'g', { caps: { maxQuarantinedPods: 2, maxBlockedSources: 50 } }).spec;
    assert.deepEqual(
      decideEligibility(input(r, { spec, usage: { quarantinedPods: 1, blockedAddresses: 0 } })).Quarantine,
      { ok: true, pods: ['api-1'], message: 'cap: 1 of 2 pods' },
    );
    assert.equal(
      reasons(decideEligibility(input(r, { spec, usage: { quarantinedPods: 2, blockedAddresses: 0 } })))
        .Quarantine,
      'CapReached',
    );
  });

  it('quarantines but says so when a namespace-wide allow policy keeps the pods reachable', () => {
    const out = decideEligibility(input(compromised, { quarantineLeaks: ['allow-all-in-shop'] })).Quarantine;
    assert.equal(out?.ok, true);
    assert.deepEqual(out?.ok && out.pods, ['api-0', 'api-1']);
    assert.match(
      out?.message ?? '',
      /incomplete isolation: NetworkPolicy allow-all-in-shop selects every pod of the namespace and allow traffic/,
    );
  });

  it('leaves a pod another incident holds alone', () => {
    const other = pod('shop', 'api-0', {}, '10.0.0.10', {
      [ANNOTATION_QUARANTINE]: JSON.stringify({
        incident: 'shop/other',
        labels: { app: 'api' },
        detached: ['app'],
        at: 'x',
      }),
    });
    const r: Resolved = {
      entityParties: [party('tA', '10.0.0.10', other)],
      entityPods: [other],
      targetParties: [party('tX', '203.0.113.9')],
    };
    assert.equal(reasons(decideEligibility(input(r))).Quarantine, 'NotApplicable');
  });

  it('caps blocked addresses and refuses a block that would widen other policies', () => {
    const many: Resolved = {
      ...attack,
      entityParties: [party('t1', '203.0.113.1'), party('t2', '203.0.113.2'), party('t3', '203.0.113.3')],
    };
    const spec = policy('shop', 'g', { caps: { maxQuarantinedPods: 3, maxBlockedSources: 3 } }).spec;
    const capped = decideEligibility(
      input(many, { spec, usage: { quarantinedPods: 0, blockedAddresses: 1 } }),
    ).Block;
    assert.deepEqual(capped, {
      ok: true,
      addresses: ['t1', 't2'],
      direction: 'Ingress',
      message: '2 addresses, ingress, via NetworkPolicy (cap: 2 of 3)',
    });
    const widen = decideEligibility(
      input(attack, { widening: { Ingress: ['only-frontend'], Egress: [] } }),
    ).Block;
    assert.equal(widen?.ok, false);
    assert.equal(widen?.ok === false && widen.reason, 'WouldWiden');
  });

  it('ignores widening where a deny-capable API carries the block', () => {
    const cilium = chooseEnforcement(new Map([['cilium.io/v2', ['ciliumnetworkpolicies']]]));
    const out = decideEligibility(
      input(attack, { enforcement: cilium, widening: { Ingress: ['only-frontend'], Egress: [] } }),
    );
    assert.equal(out.Block?.ok, true);
  });
});
