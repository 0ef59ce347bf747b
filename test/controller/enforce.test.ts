/**
 * Verdicts to incidents to enforcement, against a real API server, real NATS and PostgreSQL,
 * with the controller holding only the documented RBAC: blocks appear and expire, Monitor mode
 * only records, allowlists, protected namespaces and caps hold, a block that would widen other
 * policies is refused, and deleting a policy removes everything it made.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESOURCES } from '../../src/controller/k8s/resources.js';
import type { ThreatPolicy } from '../../src/controller/threatpolicy/crd-types.js';
import { blockPolicyName, quarantinePolicyName } from '../../src/controller/actuators/network-policies.js';
import { createNamespace, createPod, startCluster, type TestCluster } from './support/cluster.js';
import {
  cleanUpIds,
  makeVerdict,
  startController,
  testIds,
  token,
  type Harness,
  type TestIds,
} from './support/harness.js';
import { startHttpSink, type HttpSink } from './support/http-sink.js';
import {
  action,
  createPolicy,
  eventsFor,
  exceptedCidrs,
  incidentFor,
  incidents,
  networkPolicies,
  whenSeen,
} from './support/objects.js';
import { controllerKubeConfig } from './support/rbac.js';
import { eventually, sleep } from './support/wait.js';

const ATTACKER = '203.0.113.5';

describe('[integration] enforcement', () => {
  let cluster: TestCluster;
  let ids: TestIds;
  let h: Harness;
  let webhook: HttpSink;

  before(async () => {
    cluster = await startCluster();
    ids = testIds();
    webhook = await startHttpSink();
    h = await startController(cluster, ids, { kubeConfig: await controllerKubeConfig(cluster) });
  });
  after(async () => {
    await h?.stop();
    await webhook?.close();
    await cleanUpIds(ids);
    await cluster?.stop();
  });

  it('turns a verdict into an incident and a NetworkPolicy that disappears when its TTL passes', async () => {
    const { client } = cluster;
    await createNamespace(client, 'shop');
    await createPod(client, 'shop', 'api-0', { app: 'api' }, '10.244.1.10');
    await createPod(client, 'shop', 'db-0', { app: 'db' }, '10.244.1.20');
    await client.create(RESOURCES.secrets, {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'hook-headers', namespace: 'shop' },
      data: { authorization: Buffer.from('Bearer s3cret').toString('base64') },
    });
    await createPolicy(client, 'shop', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [
        { type: 'Alert', threshold: 0.5, ttlSeconds: 600 },
        { type: 'Block', threshold: 0.7, ttlSeconds: 4 },
      ],
      notifications: [
        {
          name: 'hook',
          minSeverity: 'warning',
          webhook: { url: `${webhook.url}/hook`, headersSecretRef: { name: 'hook-headers' } },
        },
      ],
    });
    await whenSeen(client, h.controller, 'shop', 'guard', ['10.244.1.10']);
    const key = `ip:${token(ATTACKER)}`;
    await h.publish(makeVerdict({ key, addresses: [ATTACKER], targets: ['10.244.1.10'] }));

    const np = await eventually(
      async () =>
        (await networkPolicies(client, 'shop')).find(
          (n) => n.metadata?.name === blockPolicyName('guard', 'Ingress'),
        ),
      20_000,
      100,
      'the block NetworkPolicy',
    );
    assert.deepEqual(exceptedCidrs(np), [`${ATTACKER}/32`]);
    assert.equal(np.metadata?.ownerReferences?.[0]?.kind, 'ThreatPolicy');
    assert.deepEqual(np.spec?.podSelector?.matchLabels, { app: 'api' });

    const incident = await eventually(async () => {
      const i = await incidentFor(client, 'shop', key);
      return action(i, 'Block')?.state === 'Active' ? i : undefined;
    });
    assert.equal(incident.status?.phase, 'Mitigated');
    assert.equal(incident.status?.action, 'Block');
    assert.equal(incident.status?.enforcement?.api, 'NetworkPolicy');
    assert.ok((incident.status?.score?.threat ?? 0) >= 0.7);
    assert.deepEqual(action(incident, 'Block')?.addresses, [token(ATTACKER)]);
    assert.equal(action(incident, 'Block')?.direction, 'Ingress');
    assert.ok(action(incident, 'Block')?.expiresAt);

    const reasons = await eventually(async () => {
      const r = (await eventsFor(client, 'shop', incident.metadata.name ?? '')).map((e) => e.reason);
      return r.includes('BlockActive') ? r : undefined;
    });
    assert.ok(reasons.includes('AlertActive'));

    const hook = await eventually(() =>
      webhook.received.find((r) => (r.body as { action?: string }).action === 'Block'),
    );
    assert.equal(hook.headers.authorization, 'Bearer s3cret');
    assert.equal((hook.body as { state: string }).state, 'Active');

    // The TTL (4 s) passes: the block is reverted.
    await eventually(
      async () =>
        !(await networkPolicies(client, 'shop')).some(
          (n) => n.metadata?.name === blockPolicyName('guard', 'Ingress'),
        ),
      20_000,
      200,
      'the block to expire',
    );
    const expired = await eventually(async () => {
      const i = await incidentFor(client, 'shop', key);
      return action(i, 'Block')?.state === 'Expired' ? i : undefined;
    });
    assert.equal(expired.status?.phase, 'Open', 'the alert still holds');

    const rows = await eventually(async () => {
      const r = await h.audit.actionsFor(`shop/${incident.metadata.name}`);
      return r.some((x) => x.action === 'Block' && x.outcome === 'expired') ? r : undefined;
    });
    assert.equal(rows.filter((r) => r.action === 'Block' && r.outcome === 'applied').length, 1);
    assert.equal(rows.filter((r) => r.action === 'Block' && r.outcome === 'expired').length, 1);
    const metrics = await h.registry.metrics();
    assert.match(metrics, /foresight_controller_verdict_to_action_seconds_count\{action="Block"\} 1/);
    assert.match(metrics, /foresight_controller_incidents\{phase="Open"\} [1-9]/);

    // The Pod informer doubles as the detector's enrichment map.
    assert.deepEqual(h.controller.enricher?.lookup('10.244.1.10'), {
      namespace: 'shop',
      pod: 'api-0',
      workload: 'api-0',
      labels: { app: 'api' },
    });
    const base = `http://127.0.0.1:${h.controller.httpPort}`;
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.match(
      await (await fetch(`${base}/metrics`)).text(),
      /foresight_controller_reconcile_total\{controller="threatincident",result="success"\}/,
    );
  });

  it('waits for an analyst to approve a step that requires approval', async () => {
    const { client } = cluster;
    await createNamespace(client, 'approve');
    await createPod(client, 'approve', 'api-0', { app: 'api' }, '10.244.13.1');
    await createPolicy(client, 'approve', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [{ type: 'Block', threshold: 0.6, ttlSeconds: 600, requireApproval: true }],
    });
    await whenSeen(client, h.controller, 'approve', 'guard', ['10.244.13.1']);
    const key = `ip:${token('192.0.2.123')}`;
    await h.publish(makeVerdict({ key, addresses: ['192.0.2.123'], targets: ['10.244.13.1'] }));
    const pending = await eventually(async () => {
      const i = await incidentFor(client, 'approve', key);
      return action(i, 'Block')?.state === 'PendingApproval' ? i : undefined;
    });
    assert.equal(pending.status?.action, 'Block (awaiting approval)');
    assert.deepEqual(await networkPolicies(client, 'approve'), []);
    await client.patch(RESOURCES.threatIncidents, 'approve', pending.metadata.name ?? '', {
      spec: { approve: ['Block'] },
    });
    const np = await eventually(async () =>
      (await networkPolicies(client, 'approve')).find(
        (n) => n.metadata?.name === blockPolicyName('guard', 'Ingress'),
      ),
    );
    assert.deepEqual(exceptedCidrs(np), ['192.0.2.123/32']);
    const approved = await incidentFor(client, 'approve', key);
    assert.equal(action(approved, 'Block')?.reason, 'Approved');
  });

  it('keeps a policy within its bound of incidents and counts what it dropped', async () => {
    const { client } = cluster;
    await createNamespace(client, 'bound');
    await createPod(client, 'bound', 'api-0', { app: 'api' }, '10.244.14.1');
    await createPolicy(client, 'bound', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      actions: [{ type: 'Alert', threshold: 0.6 }],
      incidents: { max: 2 },
    });
    await whenSeen(client, h.controller, 'bound', 'guard', ['10.244.14.1']);
    for (const ip of ['192.0.2.201', '192.0.2.202', '192.0.2.203']) {
      await h.publish(makeVerdict({ key: `ip:${token(ip)}`, addresses: [ip], targets: ['10.244.14.1'] }));
      await sleep(300);
    }
    await eventually(async () => {
      const p = await client.get<ThreatPolicy>(RESOURCES.threatPolicies, 'bound', 'guard');
      return p.status?.incidents?.dropped === 1 && p.status.incidents.total === 2;
    });
    assert.equal((await incidents(client, 'bound')).length, 2);
  });

  it('in Monitor mode changes nothing and records what it would have done', async () => {
    const { client } = cluster;
    await createNamespace(client, 'watch');
    await createPod(client, 'watch', 'web-0', { app: 'web' }, '10.244.2.10');
    await createPolicy(client, 'watch', 'observe', {
      podSelector: { matchLabels: { app: 'web' } },
      mode: 'Monitor',
      actions: [
        { type: 'Block', threshold: 0.6 },
        { type: 'Quarantine', threshold: 0.7 },
      ],
    });
    await whenSeen(client, h.controller, 'watch', 'observe', ['10.244.2.10']);
    const key = 'watch/web';
    await h.publish(
      makeVerdict({
        key,
        namespace: 'watch',
        workload: 'web',
        addresses: ['10.244.2.10'],
        targets: ['198.18.0.1'],
      }),
    );
    const incident = await eventually(async () => {
      const i = await incidentFor(client, 'watch', key);
      return action(i, 'Quarantine')?.state === 'Intended' ? i : undefined;
    });
    assert.equal(action(incident, 'Block')?.state, 'Intended');
    assert.equal(incident.status?.action, 'Quarantine (intended)');
    assert.equal(incident.status?.phase, 'Open');
    await sleep(1000);
    assert.deepEqual(await networkPolicies(client, 'watch'), []);
    const pod = await client.get<{
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
    }>(RESOURCES.pods, 'watch', 'web-0');
    assert.deepEqual(pod.metadata.labels, { app: 'web' });
    assert.equal(pod.metadata.annotations, undefined);
    const rows = await eventually(async () => {
      const r = await h.audit.actionsFor(`watch/${incident.metadata.name}`);
      return r.length >= 2 ? r : undefined;
    });
    assert.deepEqual(rows.map((r) => `${r.action}:${r.outcome}:${r.mode}`).sort(), [
      'Block:intended:Monitor',
      'Quarantine:intended:Monitor',
    ]);
  });

  it('never acts on an allowlisted source or a kube-system pod, and blocks the others', async () => {
    const { client } = cluster;
    await createNamespace(client, 'allow');
    await createPod(client, 'allow', 'api-0', { app: 'api' }, '10.244.3.10');
    await createPod(client, 'kube-system', 'dns-0', { k8s: 'dns' }, '10.244.9.9');
    await createPolicy(client, 'allow', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [
        { type: 'Alert', threshold: 0.5 },
        { type: 'Block', threshold: 0.6, ttlSeconds: 600 },
      ],
      allowlist: { cidrs: ['198.51.100.0/24'] },
    });
    await whenSeen(client, h.controller, 'allow', 'guard', ['10.244.3.10', '10.244.9.9']);
    const scanner = `ip:${token('198.51.100.7')}`;
    const system = `ip:${token('10.244.9.9')}`;
    const hostile = `ip:${token('192.0.2.66')}`;
    await h.publish(makeVerdict({ key: scanner, addresses: ['198.51.100.7'], targets: ['10.244.3.10'] }));
    await h.publish(makeVerdict({ key: system, addresses: ['10.244.9.9'], targets: ['10.244.3.10'] }));
    await h.publish(makeVerdict({ key: hostile, addresses: ['192.0.2.66'], targets: ['10.244.3.10'] }));

    const blocked = await eventually(async () => {
      const np = (await networkPolicies(client, 'allow')).find(
        (n) => n.metadata?.name === blockPolicyName('guard', 'Ingress'),
      );
      return np && exceptedCidrs(np).length > 0 ? np : undefined;
    });
    const allowed = await eventually(async () => {
      const i = await incidentFor(client, 'allow', scanner);
      return action(i, 'Block') ? i : undefined;
    });
    assert.equal(action(allowed, 'Block')?.state, 'Refused');
    assert.equal(action(allowed, 'Block')?.reason, 'Allowlisted');
    assert.equal(action(allowed, 'Alert')?.state, 'Refused');
    const sys = await eventually(async () => {
      const i = await incidentFor(client, 'allow', system);
      return action(i, 'Block') ? i : undefined;
    });
    assert.equal(action(sys, 'Block')?.reason, 'ProtectedWorkload');
    assert.equal(action(sys, 'Alert')?.state, 'Active', 'alerts still go out for protected workloads');
    await sleep(500);
    const np = (await networkPolicies(client, 'allow')).find(
      (n) => n.metadata?.name === blockPolicyName('guard', 'Ingress'),
    );
    assert.deepEqual(exceptedCidrs(np ?? blocked), ['192.0.2.66/32']);
  });

  it('caps the number of blocked sources', async () => {
    const { client } = cluster;
    await createNamespace(client, 'capped');
    await createPod(client, 'capped', 'api-0', { app: 'api' }, '10.244.4.10');
    await createPolicy(client, 'capped', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [{ type: 'Block', threshold: 0.6, ttlSeconds: 600 }],
      caps: { maxBlockedSources: 2 },
    });
    await whenSeen(client, h.controller, 'capped', 'guard', ['10.244.4.10']);
    const attackers = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    for (const ip of attackers)
      await h.publish(makeVerdict({ key: `ip:${token(ip)}`, addresses: [ip], targets: ['10.244.4.10'] }));
    const states = await eventually(async () => {
      const all = await incidents(client, 'capped');
      const s = all.map((i) => action(i, 'Block')?.state).filter(Boolean);
      return s.length === 3 ? s : undefined;
    });
    assert.deepEqual(states.sort(), ['Active', 'Active', 'Refused']);
    const refused = (await incidents(client, 'capped')).find((i) => action(i, 'Block')?.state === 'Refused');
    assert.equal(action(refused, 'Block')?.reason, 'CapReached');
    const np = await eventually(async () => {
      const n = (await networkPolicies(client, 'capped')).find(
        (x) => x.metadata?.name === blockPolicyName('guard', 'Ingress'),
      );
      return n && exceptedCidrs(n).length === 2 ? n : undefined;
    });
    assert.equal(exceptedCidrs(np).length, 2);
  });

  it('refuses a NetworkPolicy block that would widen what other policies allow', async () => {
    const { client } = cluster;
    await createNamespace(client, 'locked');
    await createPod(client, 'locked', 'api-0', { app: 'api' }, '10.244.5.10');
    await client.create(RESOURCES.networkPolicies, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'only-frontend', namespace: 'locked' },
      spec: {
        podSelector: { matchLabels: { app: 'api' } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }] }],
      },
    });
    await createPolicy(client, 'locked', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [{ type: 'Block', threshold: 0.6, ttlSeconds: 600 }],
    });
    await whenSeen(client, h.controller, 'locked', 'guard', ['10.244.5.10']);
    const key = `ip:${token('192.0.2.77')}`;
    await h.publish(makeVerdict({ key, addresses: ['192.0.2.77'], targets: ['10.244.5.10'] }));
    const incident = await eventually(async () => {
      const i = await incidentFor(client, 'locked', key);
      return action(i, 'Block') ? i : undefined;
    });
    assert.equal(action(incident, 'Block')?.state, 'Refused');
    assert.equal(action(incident, 'Block')?.reason, 'WouldWiden');
    assert.match(action(incident, 'Block')?.message ?? '', /only-frontend/);
    assert.deepEqual(
      (await networkPolicies(client, 'locked')).map((n) => n.metadata?.name),
      ['only-frontend'],
    );
  });

  it('in namespaced mode acts only in the namespaces it watches', async () => {
    const { client } = cluster;
    for (const [ns, ip] of [
      ['scoped-a', '10.244.15.1'],
      ['scoped-b', '10.244.15.2'],
    ] as const) {
      await createNamespace(client, ns);
      await createPod(client, ns, 'api-0', { app: 'api' }, ip);
      await createPolicy(client, ns, 'guard', {
        podSelector: { matchLabels: { app: 'api' } },
        actions: [{ type: 'Alert', threshold: 0.5 }],
      });
    }
    const scopedIds = testIds();
    const scoped = await startController(cluster, scopedIds, {
      controller: { namespaces: ['scoped-a'], identity: 'scoped' },
    });
    try {
      assert.equal(
        scoped.controller.enricher?.lookup('10.244.15.2'),
        undefined,
        'pods elsewhere are not even cached',
      );
      await eventually(() => scoped.controller.enricher?.lookup('10.244.15.1') !== undefined);
      await scoped.publish(
        makeVerdict({
          key: `ip:${token('192.0.2.150')}`,
          addresses: ['192.0.2.150'],
          targets: ['10.244.15.2'],
        }),
      );
      await scoped.publish(
        makeVerdict({
          key: `ip:${token('192.0.2.151')}`,
          addresses: ['192.0.2.151'],
          targets: ['10.244.15.1'],
        }),
      );
      await eventually(async () => (await incidents(client, 'scoped-a')).length === 1);
      await sleep(500);
      assert.deepEqual(await incidents(client, 'scoped-b'), []);
    } finally {
      await scoped.stop();
      await cleanUpIds(scopedIds);
    }
  });

  it('removes everything a policy made when the policy is deleted', async () => {
    const { client } = cluster;
    await createNamespace(client, 'gone');
    await createPod(client, 'gone', 'api-0', { app: 'api' }, '10.244.6.10');
    await createPolicy(client, 'gone', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [
        { type: 'Block', threshold: 0.6, ttlSeconds: 600 },
        { type: 'Quarantine', threshold: 0.99, ttlSeconds: 600 },
      ],
    });
    await whenSeen(client, h.controller, 'gone', 'guard', ['10.244.6.10']);
    await h.publish(
      makeVerdict({ key: `ip:${token('192.0.2.99')}`, addresses: ['192.0.2.99'], targets: ['10.244.6.10'] }),
    );
    await eventually(async () => {
      const names = (await networkPolicies(client, 'gone')).map((n) => n.metadata?.name);
      return (
        names.includes(blockPolicyName('guard', 'Ingress')) && names.includes(quarantinePolicyName('guard'))
      );
    });
    assert.equal((await incidents(client, 'gone')).length, 1);
    await client.delete(RESOURCES.threatPolicies, 'gone', 'guard');
    await eventually(
      async () =>
        (await networkPolicies(client, 'gone')).length === 0 &&
        (await incidents(client, 'gone')).length === 0,
      30_000,
      200,
      'everything to go',
    );
  });
});
