/**
 * The pod actions against a real API server and controller-manager, with the documented RBAC:
 * quarantine detaches a ReplicaSet pod (which gets replaced) and restores it exactly on
 * release; a false positive reaches the store; the quarantine cap holds; deleting an incident
 * restores its pod (finalizer); RateLimit annotates pods, publishes decisions and expires.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Msg } from 'nats';
import { quarantinePolicyName } from '../../src/controller/actuators/network-policies.js';
import { FINALIZER } from '../../src/controller/incidents/reconciler.js';
import { ANNOTATION_QUARANTINE, type Pod } from '../../src/controller/k8s/pods.js';
import { RESOURCES } from '../../src/controller/k8s/resources.js';
import { createNamespace, createPod, setPodIp, startCluster, type TestCluster } from './support/cluster.js';
import {
  cleanUpIds,
  makeVerdict,
  startController,
  testIds,
  type Harness,
  type TestIds,
} from './support/harness.js';
import {
  action,
  createPolicy,
  incidentFor,
  incidents,
  networkPolicies,
  whenSeen,
} from './support/objects.js';
import { controllerKubeConfig } from './support/rbac.js';
import { eventually } from './support/wait.js';

const TEMPLATE_LABELS = { app: 'web', tier: 'front', version: 'v1', 'foresight.dev/criticality': 'high' };

/** An Enforce policy `contain` in `ns` that quarantines pods labelled app=`app` at 0.6. */
function quarantineWith(client: TestCluster['client'], ns: string, app: string, maxQuarantinedPods?: number) {
  return createPolicy(client, ns, 'contain', {
    podSelector: { matchLabels: { app } },
    mode: 'Enforce',
    actions: [{ type: 'Quarantine', threshold: 0.6, ttlSeconds: 600 }],
    ...(maxQuarantinedPods === undefined ? {} : { caps: { maxQuarantinedPods } }),
  });
}

describe('[integration] quarantine and rate limits', () => {
  let cluster: TestCluster;
  let ids: TestIds;
  let h: Harness;

  before(async () => {
    cluster = await startCluster();
    ids = testIds();
    h = await startController(cluster, ids, { kubeConfig: await controllerKubeConfig(cluster) });
  });
  after(async () => {
    await h?.stop();
    await cleanUpIds(ids);
    await cluster?.stop();
  });

  const pods = async (ns: string) => (await cluster.client.list<Pod>(RESOURCES.pods, ns)).items;

  it('quarantines a pod, lets its ReplicaSet replace it, and restores it exactly on release', async () => {
    const { client } = cluster;
    await createNamespace(client, 'q');
    await client.create(RESOURCES.services, {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', namespace: 'q' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    await eventually(async () => {
      await client.create(RESOURCES.replicaSets, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web', namespace: 'q' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web', tier: 'front' } },
          template: {
            metadata: { labels: TEMPLATE_LABELS },
            spec: {
              automountServiceAccountToken: false,
              containers: [{ name: 'web', image: 'registry.invalid/web:1' }],
            },
          },
        },
      });
      return true;
    });
    const original = await eventually(async () => (await pods('q'))[0], 30_000, 200, 'the ReplicaSet pod');
    const name = original.metadata?.name ?? '';
    await setPodIp(client, 'q', name, '10.244.7.10');
    await quarantineWith(client, 'q', 'web', 1);
    await whenSeen(client, h.controller, 'q', 'contain', ['10.244.7.10']);
    const key = 'q/web';
    await h.publish(
      makeVerdict({
        key,
        namespace: 'q',
        workload: 'web',
        addresses: ['10.244.7.10'],
        targets: ['198.18.5.5'],
      }),
    );

    const quarantined = await eventually(async () => {
      const p = await client.get<Pod>(RESOURCES.pods, 'q', name);
      return p.metadata?.labels?.['foresight.dev/quarantine'] ? p : undefined;
    });
    assert.deepEqual(quarantined.metadata?.labels, {
      version: 'v1',
      'foresight.dev/criticality': 'high',
      'foresight.dev/quarantine': 'contain',
    });
    const record = JSON.parse(quarantined.metadata?.annotations?.[ANNOTATION_QUARANTINE] ?? '{}') as {
      labels: Record<string, string>;
      detached: string[];
    };
    assert.deepEqual(record.labels, TEMPLATE_LABELS);
    assert.deepEqual(record.detached, ['app', 'tier']);
    const deny = (await networkPolicies(client, 'q')).find(
      (n) => n.metadata?.name === quarantinePolicyName('contain'),
    );
    assert.deepEqual(deny?.spec?.podSelector, { matchLabels: { 'foresight.dev/quarantine': 'contain' } });
    assert.deepEqual(deny?.spec?.policyTypes, ['Ingress', 'Egress']);

    // The ReplicaSet no longer counts the pod: it makes a healthy replacement; the pod stays.
    const replacement = await eventually(
      async () => (await pods('q')).find((p) => p.metadata?.name !== name),
      30_000,
      200,
      'a replacement pod',
    );
    assert.equal(replacement.metadata?.labels?.app, 'web');
    const incident = await eventually(async () => {
      const i = await incidentFor(client, 'q', key);
      return action(i, 'Quarantine')?.state === 'Active' ? i : undefined;
    });
    assert.deepEqual(action(incident, 'Quarantine')?.pods, [name]);
    assert.equal(incident.status?.phase, 'Mitigated');
    assert.ok(incident.metadata.finalizers?.includes(FINALIZER));

    await client.patch(RESOURCES.threatIncidents, 'q', incident.metadata.name ?? '', {
      spec: { release: true },
    });
    const restored = await eventually(async () => {
      const p = await client.get<Pod>(RESOURCES.pods, 'q', name);
      return p.metadata?.annotations?.[ANNOTATION_QUARANTINE] === undefined ? p : undefined;
    });
    assert.deepEqual(restored.metadata?.labels, TEMPLATE_LABELS);
    assert.equal(restored.metadata?.annotations, undefined);
    const released = await eventually(async () => {
      const i = await incidentFor(client, 'q', key);
      return i?.status?.phase === 'Released' && !i.metadata.finalizers?.includes(FINALIZER) ? i : undefined;
    });
    assert.equal(action(released, 'Quarantine')?.state, 'Reverted');
    assert.equal(action(released, 'Quarantine')?.reason, 'Released');

    await client.patch(RESOURCES.threatIncidents, 'q', released.metadata.name ?? '', {
      spec: { verdict: 'FalsePositive', note: 'load test' },
    });
    const feedback = await eventually(async () => {
      const f = await h.audit.feedbackFor(`q/${released.metadata.name}`);
      return f.length > 0 ? f : undefined;
    });
    assert.deepEqual(feedback, [
      {
        incident: `q/${released.metadata.name}`,
        kind: 'source',
        entity: key,
        verdict: 'FalsePositive',
        note: 'load test',
      },
    ]);
    // The same effect as feedback from the dashboard: the entity's bar is raised.
    const { rows } = await h.db.query<{ offset_: number }>(
      'SELECT offset_ FROM entity_thresholds WHERE kind = $1 AND entity = $2',
      ['source', key],
    );
    assert.ok(Math.abs((rows[0]?.offset_ ?? 0) - 0.1) < 1e-6, `offset ${rows[0]?.offset_}`);
    await eventually(
      async () => (await incidentFor(client, 'q', key))?.status?.feedback?.verdict === 'FalsePositive',
    );
  });

  it('never quarantines more pods than the cap, and restores a pod when its incident is deleted', async () => {
    const { client } = cluster;
    await createNamespace(client, 'q2');
    await createPod(client, 'q2', 'a-0', { app: 'job', role: 'a' }, '10.244.8.1');
    await createPod(client, 'q2', 'b-0', { app: 'job', role: 'b' }, '10.244.8.2');
    await quarantineWith(client, 'q2', 'job', 1);
    await whenSeen(client, h.controller, 'q2', 'contain', ['10.244.8.1', '10.244.8.2']);
    await h.publish(
      makeVerdict({
        key: 'q2/a-0',
        namespace: 'q2',
        workload: 'a-0',
        addresses: ['10.244.8.1'],
        targets: ['198.18.5.6'],
      }),
    );
    await h.publish(
      makeVerdict({
        key: 'q2/b-0',
        namespace: 'q2',
        workload: 'b-0',
        addresses: ['10.244.8.2'],
        targets: ['198.18.5.6'],
      }),
    );
    const states = await eventually(async () => {
      const s = (await incidents(client, 'q2')).map((i) => action(i, 'Quarantine')?.state).filter(Boolean);
      return s.length === 2 && !s.includes('PendingApproval') ? s : undefined;
    });
    assert.deepEqual(states.sort(), ['Active', 'Refused']);
    const labelled = (await pods('q2')).filter((p) => p.metadata?.labels?.['foresight.dev/quarantine']);
    assert.equal(labelled.length, 1);
    const active = (await incidents(client, 'q2')).find((i) => action(i, 'Quarantine')?.state === 'Active')!;
    const refused = (await incidents(client, 'q2')).find((i) => action(i, 'Quarantine')?.state === 'Refused');
    assert.equal(action(refused, 'Quarantine')?.reason, 'CapReached');

    const podName = action(active, 'Quarantine')?.pods?.[0] ?? '';
    const before = (await pods('q2')).find((p) => p.metadata?.name === podName);
    const originalLabels = JSON.parse(before?.metadata?.annotations?.[ANNOTATION_QUARANTINE] ?? '{}') as {
      labels: Record<string, string>;
    };
    await client.delete(RESOURCES.threatIncidents, 'q2', active.metadata.name ?? '');
    const restored = await eventually(async () => {
      const p = await client.get<Pod>(RESOURCES.pods, 'q2', podName);
      return p.metadata?.annotations?.[ANNOTATION_QUARANTINE] === undefined ? p : undefined;
    });
    assert.deepEqual(restored.metadata?.labels, originalLabels.labels);
    await eventually(
      async () => (await incidents(client, 'q2')).every((i) => i.metadata.name !== active.metadata.name),
      20_000,
      200,
      'the incident to go',
    );
  });

  it('says in the incident when a namespace-wide allow policy keeps a quarantined pod reachable', async () => {
    const { client } = cluster;
    await createNamespace(client, 'q3');
    await client.create(RESOURCES.networkPolicies, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-all-ingress', namespace: 'q3' },
      spec: { podSelector: {}, ingress: [{}] },
    });
    await createPod(client, 'q3', 'w-0', { app: 'w' }, '10.244.9.1');
    await quarantineWith(client, 'q3', 'w');
    await whenSeen(client, h.controller, 'q3', 'contain', ['10.244.9.1']);
    await h.publish(
      makeVerdict({
        key: 'q3/w-0',
        namespace: 'q3',
        workload: 'w-0',
        addresses: ['10.244.9.1'],
        targets: ['198.18.5.7'],
      }),
    );
    const incident = await eventually(async () => {
      const i = await incidentFor(client, 'q3', 'q3/w-0');
      return action(i, 'Quarantine')?.state === 'Active' ? i : undefined;
    });
    // Quarantined all the same (label, deny-all), and the limit is on record for the analyst.
    assert.deepEqual(action(incident, 'Quarantine')?.pods, ['w-0']);
    assert.match(
      action(incident, 'Quarantine')?.message ?? '',
      /incomplete isolation: NetworkPolicy allow-all-ingress selects every pod of the namespace/,
    );
  });

  it('rate-limits a pod with bandwidth annotations and a decision event, and lifts it after the TTL', async () => {
    const { client } = cluster;
    await createNamespace(client, 'rl');
    await createPod(client, 'rl', 'worker-0', { app: 'worker' }, '10.244.10.1');
    const decisions: unknown[] = [];
    const sub = h.nats.subscribe(`${ids.subjectRoot}.decisions.rl`, {
      callback: (_err, m: Msg) => decisions.push(m.json()),
    });
    await createPolicy(client, 'rl', 'throttle', {
      podSelector: { matchLabels: { app: 'worker' } },
      mode: 'Enforce',
      actions: [
        { type: 'RateLimit', threshold: 0.6, ttlSeconds: 3, rateLimit: { ingress: '1M', egress: '2M' } },
      ],
    });
    await whenSeen(client, h.controller, 'rl', 'throttle', ['10.244.10.1']);
    await h.publish(
      makeVerdict({
        key: 'rl/worker',
        namespace: 'rl',
        workload: 'worker',
        addresses: ['10.244.10.1'],
        targets: ['198.18.9.9'],
      }),
    );
    const limited = await eventually(async () => {
      const p = await client.get<Pod>(RESOURCES.pods, 'rl', 'worker-0');
      return p.metadata?.annotations?.['kubernetes.io/egress-bandwidth'] ? p : undefined;
    });
    assert.equal(limited.metadata?.annotations?.['kubernetes.io/ingress-bandwidth'], '1M');
    assert.equal(limited.metadata?.annotations?.['kubernetes.io/egress-bandwidth'], '2M');
    const active = await eventually(
      () =>
        decisions.find((d) => (d as { state: string }).state === 'Active') as
          { action: string; pods: string[] } | undefined,
    );
    assert.equal(active.action, 'RateLimit');
    assert.deepEqual(active.pods, ['worker-0']);
    const lifted = await eventually(
      async () => {
        const p = await client.get<Pod>(RESOURCES.pods, 'rl', 'worker-0');
        return p.metadata?.annotations === undefined ? p : undefined;
      },
      20_000,
      200,
      'the rate limit to be lifted',
    );
    assert.deepEqual(lifted.metadata?.labels, { app: 'worker' });
    await eventually(() => decisions.some((d) => (d as { state: string }).state === 'Expired'));
    sub.unsubscribe();
  });
});
