/**
 * The dashboard in cluster mode against a real API server [integration]: bearer tokens of
 * ServiceAccounts checked by TokenReview, permissions by SubjectAccessReview (a viewer may read
 * but not answer; an analyst may answer, reveal and edit rules), analyst answers written into the
 * ThreatIncident's spec, and alert rules patched into the ThreatPolicy.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESOURCES } from '../../src/controller/k8s/resources.js';
import type { ThreatIncident, ThreatPolicy } from '../../src/controller/threatpolicy/crd-types.js';
import { KubeIncidentBackend, KubeRuleBackend } from '../../src/dashboard/kube-backends.js';
import { KubernetesAccess } from '../../src/dashboard/server/kube-access.js';
import { createDashboardServer, type DashboardServer } from '../../src/dashboard/server/server.js';
import { FlowSampleStore } from '../../src/detector/store/flow-samples.js';
import { ModelRegistry } from '../../src/detector/store/model-registry.js';
import { VerdictStore } from '../../src/detector/store/verdict-store.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createRegistry } from '../../src/observability/metrics.js';
import { startCluster, type TestCluster } from '../controller/support/cluster.js';
import { createPolicy } from '../controller/support/objects.js';
import { applyDocs } from '../controller/support/rbac.js';
import { eventually } from '../controller/support/wait.js';
import { testDashboard, type TestDashboard } from './support.js';

const NS = 'shop';

function role(name: string, rules: { resources: string[]; verbs: string[] }[]) {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace: NS } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name, namespace: NS },
      rules: rules.map((r) => ({ apiGroups: ['foresight.dev'], ...r })),
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name, namespace: NS },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: NS }],
    },
  ];
}

describe('dashboard in a cluster [integration]', () => {
  let cluster: TestCluster;
  let d: TestDashboard;
  let server: DashboardServer;
  const tokens: Record<string, string> = {};

  before(async () => {
    cluster = await startCluster();
    const { client } = cluster;
    await applyDocs(client, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }]);
    await applyDocs(client, [
      ...role('viewer', [{ resources: ['threatincidents'], verbs: ['get', 'list'] }]),
      ...role('analyst', [
        { resources: ['threatincidents'], verbs: ['get', 'list', 'update', 'reveal'] },
        { resources: ['threatpolicies'], verbs: ['get', 'list', 'patch'] },
      ]),
    ]);
    for (const name of ['viewer', 'analyst']) {
      tokens[name] = await eventually(
        async () => {
          const res = await client.request<{ status?: { token?: string } }>(
            'POST',
            `/api/v1/namespaces/${NS}/serviceaccounts/${name}/token`,
            {
              body: {
                apiVersion: 'authentication.k8s.io/v1',
                kind: 'TokenRequest',
                spec: { expirationSeconds: 3600 },
              },
            },
          );
          return res.status?.token;
        },
        30_000,
        200,
        `a token for ${name}`,
      );
    }
    await createPolicy(client, NS, 'protect', {
      mode: 'Monitor',
      actions: [{ type: 'Alert', threshold: 0.5, ttlSeconds: 600 }],
    });
    const incident = {
      apiVersion: 'foresight.dev/v1alpha1',
      kind: 'ThreatIncident',
      metadata: { name: 'protect-api-1', namespace: NS },
      spec: {
        policyRef: { name: 'protect' },
        entity: { kind: 'source', key: 'shop/api', namespace: NS, workload: 'api' },
      },
    } as unknown as ThreatIncident;
    await client.create(RESOURCES.threatIncidents, incident);
    d = await testDashboard('pglite');
    server = createDashboardServer(
      {
        db: d.db,
        registry: new ModelRegistry(d.db),
        verdicts: new VerdictStore(d.db, d.store.partitions),
        flows: new FlowSampleStore(d.db, d.store.partitions),
        incidents: new KubeIncidentBackend(client, [NS]),
        rules: new KubeRuleBackend(client, [NS]),
        access: new KubernetesAccess(client, { namespaces: [NS] }),
        anonymizer: d.anonymizer,
        config: d.config,
        logger: silentLogger(),
        now: Date.now,
        mode: 'cluster',
        cacheMs: 0,
      },
      createRegistry({ defaultMetrics: false }),
    );
  });
  after(async () => {
    await server?.close();
    await d?.close();
    await cluster?.stop();
  });

  const call = (who: string, method: 'GET' | 'POST', url: string, payload?: unknown) =>
    server.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${tokens[who] ?? who}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });

  it('signs in ServiceAccount tokens and refuses others', async () => {
    const s = (await call('viewer', 'GET', '/api/session')).json<{
      user: string;
      permissions: Record<string, boolean>;
    }>();
    assert.equal(s.user, 'system:serviceaccount:shop:viewer');
    assert.equal((await call('not-a-real-token-at-all', 'GET', '/api/session')).statusCode, 401);
  });

  it('lets a viewer read but not answer', async () => {
    const list = (await call('viewer', 'GET', '/api/incidents')).json<{ incidents: { key: string }[] }>();
    assert.deepEqual(
      list.incidents.map((i) => i.key),
      ['shop/protect-api-1'],
    );
    assert.equal(
      (
        await call('viewer', 'POST', '/api/incidents/shop/protect-api-1/feedback', {
          verdict: 'FalsePositive',
        })
      ).statusCode,
      403,
    );
    assert.equal((await call('viewer', 'POST', '/api/reveal', { tokens: ['t4:00000000'] })).statusCode, 403);
  });

  it('writes an analyst answer into the ThreatIncident spec', async () => {
    const res = await call('analyst', 'POST', '/api/incidents/shop/protect-api-1/feedback', {
      verdict: 'FalsePositive',
      note: 'backup job',
    });
    assert.equal(res.statusCode, 200);
    const live = await cluster.client.get<ThreatIncident>(RESOURCES.threatIncidents, NS, 'protect-api-1');
    assert.equal(live.spec.verdict, 'FalsePositive');
    assert.equal(live.spec.note, 'backup job');
    assert.equal(live.metadata.annotations?.['foresight.dev/analyst'], 'system:serviceaccount:shop:analyst');
  });

  it('keeps alert rules in the ThreatPolicy', async () => {
    const rule = {
      policy: 'shop/protect',
      name: 'scan',
      metric: 'detector:isolation-forest',
      threshold: 0.8,
      count: 3,
      windowSeconds: 300,
      severity: 'critical',
    };
    assert.equal((await call('viewer', 'POST', '/api/rules', rule)).statusCode, 403);
    assert.equal((await call('analyst', 'POST', '/api/rules', rule)).statusCode, 201);
    assert.equal(
      (await call('analyst', 'POST', '/api/rules', { ...rule, name: 'busy', metric: 'flows' })).statusCode,
      400,
    );
    assert.equal(
      (await call('analyst', 'POST', '/api/rules', { ...rule, name: 'some', entity: 'shop/*' })).statusCode,
      400,
    );
    const policy = await cluster.client.get<ThreatPolicy>(RESOURCES.threatPolicies, NS, 'protect');
    assert.deepEqual(policy.spec.alertRules, [
      {
        name: 'scan',
        detector: 'isolation-forest',
        minScore: 0.8,
        count: 3,
        windowSeconds: 300,
        severity: 'critical',
      },
    ]);
    const list = (await call('viewer', 'GET', '/api/rules')).json<{ rules: { id: string }[] }>();
    assert.deepEqual(
      list.rules.map((r) => r.id),
      ['shop/protect/scan'],
    );
  });
});
