/**
 * Controller benchmark against a real API server (kube-env), real NATS and PostgreSQL:
 *
 * 1. Throughput: N verdicts about K entities published at once; verdicts per second until every
 *    one is reflected in a ThreatIncident (the sum of verdictCount reaches N).
 * 2. Latency at 100 verdicts/s for D seconds: each second 10 verdicts about new attackers cross
 *    the Block threshold among 90 about known entities; for each attacker, the time from the
 *    verdict's scoring to the block NetworkPolicy carrying its address (seen through a watch).
 *
 *   npm run bench:controller [-- --verdicts 3000 --entities 300 --seconds 30 --rate 100]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { KubeConfig, Watch } from '@kubernetes/client-node';
import { connect } from 'nats';
import { parseConfig } from '../src/config/load.js';
import { blockPolicyName } from '../src/controller/actuators/network-policies.js';
import { Controller } from '../src/controller/controller.js';
import { KubeClient } from '../src/controller/k8s/client.js';
import { RESOURCES } from '../src/controller/k8s/resources.js';
import type { ThreatIncident } from '../src/controller/threatpolicy/crd-types.js';
import { PgDb } from '../src/detector/store/pg-db.js';
import { migrate } from '../src/detector/store/migrate.js';
import { VERDICT_VERSION, type Verdict } from '../src/detector/scoring/verdict.js';
import { CryptoPan } from '../src/flows/anonymizer.js';
import { silentLogger } from '../src/observability/logger.js';
import { createRegistry } from '../src/observability/metrics.js';
import { startKubeEnv } from '../test/support/kube-env.js';
import { applyCrds, createNamespace, createPod } from '../test/controller/support/cluster.js';

const { values: args } = parseArgs({
  options: {
    verdicts: { type: 'string', default: '3000' },
    entities: { type: 'string', default: '300' },
    seconds: { type: 'string', default: '30' },
    rate: { type: 'string', default: '100' },
  },
});
const N = Number(args.verdicts);
const K = Number(args.entities);
const SECONDS = Number(args.seconds);
const RATE = Number(args.rate);
const NEW_PER_SECOND = Math.max(1, Math.round(RATE / 10));
const NS = 'bench';
const PODS = 20;

const key = randomBytes(32).toString('hex');
const anonymizer = new CryptoPan(Buffer.from(key, 'hex'));
const id = randomBytes(4).toString('hex');
let seq = 0;

function verdict(ip: string, target: string, anomaly: number): Verdict {
  const now = Date.now();
  const token = anonymizer.anonymize(ip);
  return {
    version: VERDICT_VERSION,
    id: `bench-${++seq}`,
    entity: { kind: 'source', key: `ip:${token}`, addresses: [token] },
    targets: [{ address: anonymizer.anonymize(target), flows: 50, bytes: 40_000 }],
    window: { start: now - 60_000, end: now },
    scoredAt: now,
    scores: { anomaly, impact: 0.5, confidence: 0.8, threat: anomaly },
    detectors: [{ detector: 'isolation-forest', score: anomaly, raw: 0.6 }],
    explanation: {
      summary: 'bench',
      features: [{ name: 'dst_port_count', value: 50, baseline: 3, deviation: 12 }],
    },
    models: { 'isolation-forest': 1 },
  };
}

const attacker = (i: number) => `100.${64 + ((i >> 16) & 63)}.${(i >> 8) & 255}.${i & 255}`;
const podIp = (i: number) => `10.244.50.${i + 1}`;
const pct = (xs: number[], p: number) =>
  xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

async function main(): Promise<void> {
  const env = await startKubeEnv();
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigPath);
  const client = new KubeClient(kc, { fieldManager: 'bench' });
  const nats = await connect({ servers: 'nats://127.0.0.1:4222' });
  const schema = `bench_ctl_${id}`;
  const db = new PgDb({
    url: 'postgres://postgres@127.0.0.1:5432/test',
    schema,
    poolSize: 4,
    logger: silentLogger(),
  });
  let controller: Controller | undefined;
  try {
    await applyCrds(client);
    await createNamespace(client, NS);
    await createNamespace(client, 'foresight');
    for (let i = 0; i < PODS; i++) await createPod(client, NS, `api-${i}`, { app: 'api' }, podIp(i));
    await client.create(RESOURCES.threatPolicies, {
      apiVersion: 'foresight.dev/v1alpha1',
      kind: 'ThreatPolicy',
      metadata: { name: 'guard', namespace: NS },
      spec: {
        podSelector: { matchLabels: { app: 'api' } },
        mode: 'Enforce',
        actions: [
          { type: 'Alert', threshold: 0.5, ttlSeconds: 3600 },
          { type: 'Block', threshold: 0.8, ttlSeconds: 3600 },
        ],
        caps: { maxBlockedSources: 10_000 },
        incidents: { max: 10_000 },
      },
    } as never);
    await migrate(db, silentLogger());
    const config = parseConfig({
      store: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', schema },
      anonymization: { key },
      controller: {
        operatorNamespace: 'foresight',
        identity: 'bench',
        verdicts: { stream: `VERDICTS_${id}`, subjects: [`b${id}.verdicts.>`], durable: `bench-${id}` },
        decisionsSubjectPrefix: `b${id}.decisions`,
        http: { host: '127.0.0.1', port: 0 },
      },
    });
    const registry = createRegistry({ defaultMetrics: false });
    controller = new Controller({
      config,
      logger: silentLogger(),
      registry,
      kubeConfig: kc,
      nats,
      db,
      anonymizer,
    });
    await controller.start();
    const jsm = await nats.jetstreamManager();
    for (let i = 0; i < 300; i++) {
      if (
        await jsm.consumers
          .info(config.controller.verdicts.stream, config.controller.verdicts.durable)
          .catch(() => undefined)
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const js = nats.jetstream();
    const subject = `b${id}.verdicts.external`;

    // 1. Throughput.
    const t0 = performance.now();
    const pubs: Promise<unknown>[] = [];
    for (let i = 0; i < N; i++)
      pubs.push(js.publish(subject, JSON.stringify(verdict(attacker(i % K), podIp(i % PODS), 0.6))));
    await Promise.all(pubs);
    const published = performance.now();
    for (;;) {
      const items = (await client.list<ThreatIncident>(RESOURCES.threatIncidents, NS)).items;
      const total = items.reduce((s, i) => s + (i.status?.verdictCount ?? 0), 0);
      if (total >= N) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const t1 = performance.now();
    for (;;) {
      const items = (await client.list<ThreatIncident>(RESOURCES.threatIncidents, NS)).items;
      if (
        items.length >= K &&
        items.every((i) => i.status?.actions?.some((a) => a.type === 'Alert' && a.state === 'Active'))
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const t2 = performance.now();
    console.log(
      `throughput: ${N} verdicts about ${K} entities (published in ${((published - t0) / 1000).toFixed(2)} s)`,
    );
    console.log(
      `  every verdict reflected in its incident after ${((t1 - t0) / 1000).toFixed(2)} s: ${Math.round(N / ((t1 - t0) / 1000))} verdicts/s`,
    );
    console.log(`  every incident decided (Alert in force) after ${((t2 - t0) / 1000).toFixed(2)} s`);
    // Let the first phase's events and audit rows drain, so the second measures a steady state.
    await new Promise((r) => setTimeout(r, 3000));

    // 2. Latency at RATE verdicts/s.
    const seenAt = new Map<string, number>();
    const watch = await new Watch(kc).watch(
      `/apis/networking.k8s.io/v1/namespaces/${NS}/networkpolicies`,
      {},
      (
        _type,
        obj: {
          metadata?: { name?: string };
          spec?: { ingress?: { from?: { ipBlock?: { except?: string[] } }[] }[] };
        },
      ) => {
        if (obj.metadata?.name !== blockPolicyName('guard', 'Ingress')) return;
        const now = Date.now();
        for (const rule of obj.spec?.ingress ?? [])
          for (const peer of rule.from ?? [])
            for (const c of peer.ipBlock?.except ?? []) if (!seenAt.has(c)) seenAt.set(c, now);
      },
      () => undefined,
    );
    const sentAt = new Map<string, number>();
    const start = Date.now();
    let attackers = 0;
    let sent = 0;
    const tick = 1000 / RATE;
    const latencyPubs: Promise<unknown>[] = [];
    while (Date.now() - start < SECONDS * 1000) {
      const due = Math.floor((Date.now() - start) / tick);
      while (sent < due) {
        const crossing = sent % Math.round(RATE / NEW_PER_SECOND) === 0;
        let v: Verdict;
        if (crossing) {
          const ip = attacker(1_000_000 + attackers++);
          v = verdict(ip, podIp(attackers % PODS), 0.99);
          sentAt.set(`${ip}/32`, v.scoredAt);
        } else {
          v = verdict(attacker(sent % K), podIp(sent % PODS), 0.6);
        }
        latencyPubs.push(js.publish(subject, JSON.stringify(v)));
        sent++;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    await Promise.all(latencyPubs);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && [...sentAt.keys()].some((c) => !seenAt.has(c)))
      await new Promise((r) => setTimeout(r, 100));
    watch.abort();
    const lat = [...sentAt]
      .map(([c, t]) => (seenAt.get(c) ?? NaN) - t)
      .filter((x) => Number.isFinite(x))
      .sort((a, b) => a - b);
    console.log(
      `latency at ${RATE} verdicts/s for ${SECONDS} s: ${sent} verdicts, ${sentAt.size} attackers crossing the Block threshold`,
    );
    console.log(
      `  verdict → block NetworkPolicy: p50 ${pct(lat, 50)} ms, p99 ${pct(lat, 99)} ms, max ${lat.at(-1)} ms (${lat.length}/${sentAt.size} applied)`,
    );
    if (process.env.BENCH_METRICS) {
      const bySend = [...sentAt].sort((a, b) => a[1] - b[1]).map(([c, t]) => (seenAt.get(c) ?? NaN) - t);
      for (let i = 0; i < bySend.length; i += 30)
        console.log(`  attackers ${i}-${i + 29}: max ${Math.max(...bySend.slice(i, i + 30))} ms`);
      const text = await registry.metrics();
      console.log(
        text
          .split('\n')
          .filter((l) =>
            /verdict_to_action_seconds_bucket\{.*Block|reconcile_duration_seconds_(sum|count)|api_request_duration_seconds_(sum|count)|reconcile_total/.test(
              l,
            ),
          )
          .join('\n'),
      );
    }
  } finally {
    await controller?.stop();
    await (await nats.jetstreamManager()).streams.delete(`VERDICTS_${id}`).catch(() => undefined);
    await nats.drain();
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await db.close();
    client.close();
    await env.stop();
  }
}

await main();
