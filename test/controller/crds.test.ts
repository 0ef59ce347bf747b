/**
 * The CRDs against a real API server: they install, the documented example applies and gets
 * its defaults, invalid policies are refused with a message naming the field, the printer
 * columns are served, and discovery on 1.20 chooses plain NetworkPolicy for blocks.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { KubeError } from '../../src/controller/k8s/errors.js';
import { discoverEnforcement } from '../../src/controller/k8s/discovery.js';
import { RESOURCES } from '../../src/controller/k8s/resources.js';
import type { ThreatPolicy } from '../../src/controller/threatpolicy/crd-types.js';
import { createNamespace, loadYamlDocs, startCluster, type TestCluster } from './support/cluster.js';

const EXAMPLE = 'docs/examples/threatpolicy.yaml';

function policy(spec: Record<string, unknown>, name = 'p'): ThreatPolicy {
  return {
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ThreatPolicy',
    metadata: { name, namespace: 'shop' },
    spec: { podSelector: {}, actions: [{ type: 'Alert', threshold: 0.5 }], ...spec },
  } as unknown as ThreatPolicy;
}

describe('[integration] CRDs on a real API server', () => {
  let cluster: TestCluster;

  before(async () => {
    cluster = await startCluster();
    await createNamespace(cluster.client, 'shop');
  });
  after(async () => {
    await cluster?.stop();
  });

  it('applies the documented example and fills in the defaults', async () => {
    const [doc] = loadYamlDocs(EXAMPLE);
    const created = await cluster.client.create<ThreatPolicy>(RESOURCES.threatPolicies, doc as ThreatPolicy);
    assert.equal(created.spec.mode, 'Monitor');
    assert.equal(created.spec.forecastHorizonSeconds, 3600);
    assert.equal(created.spec.notifications?.[0]?.alertmanager?.url, 'http://alertmanager.monitoring:9093');
    assert.equal(
      created.spec.notifications?.[1]?.webhook?.headersSecretRef?.name,
      'foresight-webhook-headers',
    );
    assert.equal(created.spec.actions.find((a) => a.type === 'Block')?.requireApproval, false);

    const minimal = await cluster.client.create<ThreatPolicy>(
      RESOURCES.threatPolicies,
      policy({}, 'minimal'),
    );
    assert.deepEqual(minimal.spec.weights, { anomaly: 0.6, impact: 0.3, confidence: 0.1 });
    assert.deepEqual(minimal.spec.caps, { maxQuarantinedPods: 3, maxBlockedSources: 50 });
    assert.deepEqual(minimal.spec.incidents, { max: 200, retentionSeconds: 604800 });
    assert.equal(minimal.spec.actions[0]?.ttlSeconds, 3600);
    assert.equal(minimal.spec.criticality, 'Auto');
  });

  /**
   * The field path as a pattern. Kubernetes 1.20 names list items without their index
   * (spec.actions.threshold); newer servers add it (spec.actions[0].threshold): both name the field.
   */
  function fieldPattern(path: string): RegExp {
    const escaped = path.replace(/[.]/g, '\\.').replace(/\[(\d+)\]/g, '(\\[$1\\])?');
    return new RegExp(escaped);
  }

  const invalid: { name: string; spec: Record<string, unknown>; field: string }[] = [
    {
      name: 'threshold above 1',
      spec: { actions: [{ type: 'Block', threshold: 1.5 }] },
      field: 'spec.actions[0].threshold',
    },
    {
      name: 'unknown action type',
      spec: { actions: [{ type: 'Nuke', threshold: 0.5 }] },
      field: 'spec.actions[0].type',
    },
    { name: 'unknown mode', spec: { mode: 'Maybe' }, field: 'spec.mode' },
    { name: 'missing pod selector', spec: { podSelector: undefined }, field: 'spec.podSelector' },
    { name: 'empty ladder', spec: { actions: [] }, field: 'spec.actions' },
    {
      name: 'two steps of one type',
      spec: {
        actions: [
          { type: 'Alert', threshold: 0.5 },
          { type: 'Alert', threshold: 0.6 },
        ],
      },
      field: 'spec.actions[1]',
    },
    {
      name: 'malformed CIDR',
      spec: { allowlist: { cidrs: ['10.0.0.0/33'] } },
      field: 'spec.allowlist.cidrs[0]',
    },
    {
      name: 'negative cap',
      spec: { caps: { maxQuarantinedPods: -1 } },
      field: 'spec.caps.maxQuarantinedPods',
    },
    { name: 'weight above 1', spec: { weights: { anomaly: 2 } }, field: 'spec.weights.anomaly' },
    {
      name: 'bad bandwidth',
      spec: { actions: [{ type: 'RateLimit', threshold: 0.5, rateLimit: { ingress: 'fast' } }] },
      field: 'spec.actions[0].rateLimit.ingress',
    },
    {
      name: 'notification with two kinds',
      spec: { notifications: [{ name: 'x', nats: { subject: 'a' }, webhook: { url: 'http://x' } }] },
      field: 'spec.notifications',
    },
    {
      name: 'webhook URL without scheme',
      spec: { notifications: [{ name: 'x', webhook: { url: 'hooks.example.com' } }] },
      field: 'spec.notifications[0].webhook.url',
    },
    {
      name: 'TTL of zero',
      spec: { actions: [{ type: 'Alert', threshold: 0.5, ttlSeconds: 0 }] },
      field: 'spec.actions[0].ttlSeconds',
    },
  ];
  for (const c of invalid) {
    it(`refuses a policy with ${c.name}, naming the field`, async () => {
      await assert.rejects(
        cluster.client.create(RESOURCES.threatPolicies, policy(c.spec, `bad-${invalid.indexOf(c)}`)),
        (err: unknown) => {
          assert.ok(err instanceof KubeError, String(err));
          assert.equal(err.code, 'k8s-invalid', err.message);
          assert.match(err.message, fieldPattern(c.field));
          return true;
        },
      );
    });
  }

  it('serves the printer columns kubectl shows', async () => {
    const res = await fetchTable(cluster, '/apis/foresight.dev/v1alpha1/namespaces/shop/threatincidents');
    assert.deepEqual(
      res.columnDefinitions.map((c) => c.name),
      ['Name', 'Policy', 'Entity', 'Score', 'Action', 'Phase', 'Age'],
    );
    const pol = await fetchTable(cluster, '/apis/foresight.dev/v1alpha1/namespaces/shop/threatpolicies');
    assert.deepEqual(
      pol.columnDefinitions.map((c) => c.name),
      ['Name', 'Mode', 'Open', 'Blocked', 'Quarantined', 'Ready', 'Age'],
    );
  });

  it('chooses Kubernetes NetworkPolicy for blocks on a cluster without a deny-capable API', async () => {
    const choice = await discoverEnforcement(cluster.client);
    assert.equal(choice.ingress.api, 'NetworkPolicy');
    assert.equal(choice.egress.api, 'NetworkPolicy');
  });
});

async function fetchTable(
  cluster: TestCluster,
  path: string,
): Promise<{ columnDefinitions: { name: string }[] }> {
  const headers = {
    authorization: `Bearer ${cluster.env.token}`,
    accept: 'application/json;as=Table;v=v1;g=meta.k8s.io',
  };
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, cluster.env.server), { headers, ca: cluster.env.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve(
          JSON.parse(Buffer.concat(chunks).toString('utf8')) as { columnDefinitions: { name: string }[] },
        ),
      );
    });
    req.on('error', reject);
    req.end();
  });
}
