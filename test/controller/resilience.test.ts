/**
 * The controller under failure, against a real API server: killed (SIGKILL) in the middle of
 * an action and restarted, it converges without repeating anything; an API server stopped for
 * 20 s and started again is survived (verdicts published meanwhile are acted on); two replicas
 * never lead at once.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { blockPolicyName } from '../../src/controller/actuators/network-policies.js';
import { LeaderElector } from '../../src/controller/k8s/leader-election.js';
import { ANNOTATION_QUARANTINE, type Pod } from '../../src/controller/k8s/pods.js';
import { RESOURCES } from '../../src/controller/k8s/resources.js';
import type { ThreatPolicy } from '../../src/controller/threatpolicy/crd-types.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createNamespace, createPod, startCluster, type TestCluster } from './support/cluster.js';
import {
  cleanUpIds,
  ensureNamespace,
  makeVerdict,
  startController,
  testIds,
  token,
  type TestIds,
} from './support/harness.js';
import {
  action,
  createPolicy,
  eventsFor,
  exceptedCidrs,
  incidentFor,
  networkPolicies,
  whenSeen,
} from './support/objects.js';
import { eventually, sleep } from './support/wait.js';

function startChild(
  cluster: TestCluster,
  ids: TestIds,
  identity: string,
  killAfter?: 'pod-patch',
): { child: ChildProcess; ready: Promise<void>; exited: Promise<NodeJS.Signals | number | null> } {
  const args = JSON.stringify({ kubeconfigPath: cluster.env.kubeconfigPath, ids, identity, killAfter });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/controller/support/child-controller.ts', args],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`child exited before ready (${signal ?? code})`)));
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { child, ready, exited };
}

describe('[integration] resilience', () => {
  let cluster: TestCluster;
  const cleanup: (() => Promise<void>)[] = [];

  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    for (const c of cleanup.reverse()) await c().catch(() => undefined);
    await cluster?.stop();
  });

  it('converges without repeating anything after being killed in the middle of an action', async () => {
    const { client } = cluster;
    const ids = testIds();
    cleanup.push(() => cleanUpIds(ids));
    await ensureNamespace(cluster, 'foresight');
    await createNamespace(client, 'crash');
    await createPod(client, 'crash', 'victim-0', { app: 'api', role: 'x' }, '10.244.11.1');
    await createPolicy(client, 'crash', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [
        { type: 'Block', threshold: 0.6, ttlSeconds: 600 },
        { type: 'Quarantine', threshold: 0.6, ttlSeconds: 600 },
      ],
    });
    const first = startChild(cluster, ids, 'first', 'pod-patch');
    cleanup.push(() => Promise.resolve(void first.child.kill('SIGKILL')));
    await first.ready;
    await eventually(
      async () =>
        (await client.get<ThreatPolicy>(RESOURCES.threatPolicies, 'crash', 'guard')).status
          ?.observedGeneration === 1,
    );
    await eventually(
      async () => (await networkPolicies(client, 'crash')).length === 1,
      20_000,
      100,
      'the quarantine NetworkPolicy',
    );

    const nats = await (await import('nats')).connect({ servers: 'nats://127.0.0.1:4222' });
    cleanup.push(() => nats.drain());
    const verdict = makeVerdict({
      key: 'crash/victim-0',
      namespace: 'crash',
      workload: 'victim-0',
      addresses: ['10.244.11.1'],
      targets: ['198.18.7.7'],
    });
    await nats.jetstream().publish(`${ids.subjectRoot}.verdicts.crash`, JSON.stringify(verdict));

    assert.equal(await first.exited, 'SIGKILL', 'the controller died right after changing the pod');
    const half = await client.get<Pod>(RESOURCES.pods, 'crash', 'victim-0');
    assert.ok(half.metadata?.annotations?.[ANNOTATION_QUARANTINE], 'the pod was quarantined before the kill');
    const before = await incidentFor(client, 'crash', 'crash/victim-0');
    assert.notEqual(action(before, 'Quarantine')?.state, 'Active', 'the status did not record it yet');

    const h = await startController(cluster, ids, { controller: { identity: 'second' } });
    cleanup.push(() => h.stop());
    const incident = await eventually(async () => {
      const i = await incidentFor(client, 'crash', 'crash/victim-0');
      return action(i, 'Quarantine')?.state === 'Active' && action(i, 'Block')?.state === 'Active'
        ? i
        : undefined;
    }, 30_000);
    const egress = await eventually(async () =>
      (await networkPolicies(client, 'crash')).find(
        (n) => n.metadata?.name === blockPolicyName('guard', 'Egress'),
      ),
    );
    assert.deepEqual(exceptedCidrs(egress), ['198.18.7.7/32']);
    await sleep(1500);
    const nps = (await networkPolicies(client, 'crash')).map((n) => n.metadata?.name).sort();
    assert.deepEqual(
      nps,
      [blockPolicyName('guard', 'Egress'), 'foresight-quarantine-guard'].sort(),
      'one object per purpose',
    );
    const pod = await client.get<Pod>(RESOURCES.pods, 'crash', 'victim-0');
    const record = JSON.parse(pod.metadata?.annotations?.[ANNOTATION_QUARANTINE] ?? '{}') as {
      labels: Record<string, string>;
      incident: string;
    };
    assert.deepEqual(record.labels, { app: 'api', role: 'x' }, 'the originals are the true originals');
    assert.equal(record.incident, `crash/${incident.metadata.name}`);
    const rows = await eventually(async () => {
      const r = await h.audit.actionsFor(`crash/${incident.metadata.name}`);
      return r.length >= 2 ? r : undefined;
    });
    await sleep(500);
    const applied = (await h.audit.actionsFor(`crash/${incident.metadata.name}`)).filter(
      (r) => r.outcome === 'applied',
    );
    assert.deepEqual(applied.map((r) => r.action).sort(), ['Block', 'Quarantine'], JSON.stringify(rows));
    const events = (await eventsFor(client, 'crash', incident.metadata.name ?? '')).filter(
      (e) => e.reason === 'QuarantineActive',
    );
    assert.equal(events.length, 1);
    assert.equal((events[0] as { count?: number }).count, 1);
  });

  it('survives the API server stopping for 20 s and acts on what arrived meanwhile', async () => {
    const { client, env } = cluster;
    const ids = testIds();
    cleanup.push(() => cleanUpIds(ids));
    await createNamespace(client, 'outage');
    await createPod(client, 'outage', 'api-0', { app: 'api' }, '10.244.12.1');
    await createPolicy(client, 'outage', 'guard', {
      podSelector: { matchLabels: { app: 'api' } },
      mode: 'Enforce',
      actions: [{ type: 'Block', threshold: 0.6, ttlSeconds: 600 }],
    });
    const h = await startController(cluster, ids);
    cleanup.push(() => h.stop());
    await whenSeen(client, h.controller, 'outage', 'guard', ['10.244.12.1']);
    await h.publish(
      makeVerdict({ key: `ip:${token('192.0.2.10')}`, addresses: ['192.0.2.10'], targets: ['10.244.12.1'] }),
    );
    const npName = blockPolicyName('guard', 'Ingress');
    await eventually(
      async () =>
        exceptedCidrs((await networkPolicies(client, 'outage')).find((n) => n.metadata?.name === npName))
          .length === 1,
    );

    await env.stopApiServer();
    await sleep(2000);
    await h.publish(
      makeVerdict({ key: `ip:${token('192.0.2.11')}`, addresses: ['192.0.2.11'], targets: ['10.244.12.1'] }),
    );
    await sleep(18_000);
    await env.startApiServer();

    await eventually(
      async () => {
        const np = (await networkPolicies(client, 'outage')).find((n) => n.metadata?.name === npName);
        return exceptedCidrs(np).length === 2;
      },
      60_000,
      250,
      'the verdict published during the outage to be acted on',
    );
    await eventually(() => h.controller.isReady && h.controller.isLeader, 30_000);
    assert.match(
      await h.registry.metrics(),
      /foresight_controller_informer_restarts_total\{resource="pods"\} [1-9]/,
    );
  });

  it('lets one replica lead at a time and hands over when the leader releases', async () => {
    const { client } = cluster;
    await ensureNamespace(cluster, 'foresight');
    const options = {
      client,
      namespace: 'foresight',
      name: 'election-test',
      leaseDurationMs: 2000,
      renewDeadlineMs: 1500,
      retryPeriodMs: 200,
      logger: silentLogger(),
    };
    const a = new LeaderElector({ ...options, identity: 'a' });
    const b = new LeaderElector({ ...options, identity: 'b' });
    const stopA = new AbortController();
    const stopB = new AbortController();
    let leaders = 0;
    let maxLeaders = 0;
    const lead = async (term: AbortSignal) => {
      maxLeaders = Math.max(maxLeaders, ++leaders);
      await new Promise<void>((r) => term.addEventListener('abort', () => r(), { once: true }));
      leaders--;
    };
    const runA = a.run(stopA.signal, lead);
    await eventually(() => a.isLeader);
    const runB = b.run(stopB.signal, lead);
    await sleep(1500);
    assert.equal(b.isLeader, false);
    stopA.abort();
    await runA;
    await eventually(() => b.isLeader, 10_000);
    stopB.abort();
    await runB;
    assert.equal(maxLeaders, 1);
  });
});
