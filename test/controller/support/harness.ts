/**
 * Runs the controller in-process against a test cluster, real NATS (a verdict stream and
 * subjects unique to the test) and PostgreSQL (a schema unique to the test), with short TTLs,
 * leases and backoffs. Also builds verdicts with real anonymization tokens.
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { Controller } from '../../../src/controller/controller.js';
import type { KubeClient } from '../../../src/controller/k8s/client.js';
import { ControllerAuditStore } from '../../../src/detector/store/controller-audit.js';
import type { Db } from '../../../src/detector/store/db.js';
import { migrate } from '../../../src/detector/store/migrate.js';
import { PgDb } from '../../../src/detector/store/pg-db.js';
import { VERDICT_VERSION, type Verdict } from '../../../src/detector/scoring/verdict.js';
import { CryptoPan } from '../../../src/flows/anonymizer.js';
import { createLogger, silentLogger, type Logger } from '../../../src/observability/logger.js';
import { createRegistry, type Registry } from '../../../src/observability/metrics.js';
import type { KubeConfig } from '@kubernetes/client-node';
import { isAlreadyExists } from '../../../src/controller/k8s/errors.js';
import { RESOURCES } from '../../../src/controller/k8s/resources.js';
import type { TestCluster } from './cluster.js';
import { eventually } from './wait.js';

export const TEST_DB_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const ANON_KEY = 'a1'.repeat(32);
export const anonymizer = new CryptoPan(Buffer.from(ANON_KEY, 'hex'));
export const token = (ip: string): string => anonymizer.anonymize(ip);

export interface TestIds {
  id: string;
  subjectRoot: string;
  stream: string;
  schema: string;
}

export function testIds(): TestIds {
  const id = randomBytes(4).toString('hex');
  return { id, subjectRoot: `t${id}`, stream: `VERDICTS_${id}`, schema: `t_ctl_${id}` };
}

/** A full config for a test controller; `controller` overrides merge over the test defaults. */
export function testConfig(
  kubeconfigPath: string,
  ids: TestIds,
  controller: Record<string, unknown> = {},
): Config {
  return parseConfig({
    nats: { url: 'nats://127.0.0.1:4222' },
    store: { kind: 'postgres', url: TEST_DB_URL, schema: ids.schema },
    anonymization: { key: ANON_KEY },
    controller: {
      kubeconfig: kubeconfigPath,
      operatorNamespace: 'foresight',
      identity: `test-${ids.id}`,
      verdicts: {
        stream: ids.stream,
        subjects: [`${ids.subjectRoot}.verdicts.>`],
        durable: `ctl-${ids.id}`,
        coalesceMs: 10,
        ackWaitSeconds: 5,
      },
      decisionsSubjectPrefix: `${ids.subjectRoot}.decisions`,
      leaderElection: {
        leaseNamespace: 'foresight',
        leaseName: `foresight-${ids.id}`,
        leaseDurationSeconds: 3,
        renewDeadlineSeconds: 2,
        retryPeriodSeconds: 0.5,
      },
      requeue: { initialMs: 100, maxMs: 2000 },
      informerRestart: { initialMs: 200, maxMs: 2000 },
      http: { host: '127.0.0.1', port: 0 },
      notifications: { retry: { initialMs: 50, maxMs: 200 }, maxAttempts: 3 },
      ...controller,
    },
  });
}

export interface Harness {
  controller: Controller;
  nats: NatsConnection;
  db: Db;
  audit: ControllerAuditStore;
  registry: Registry;
  config: Config;
  publish(v: Verdict): Promise<void>;
  stop(): Promise<void>;
}

/** Silent, unless FORESIGHT_TEST_LOG names a level (debugging a failing test). */
export function testLogger(): Logger {
  const level = process.env.FORESIGHT_TEST_LOG;
  return level ? createLogger({ level, format: 'pretty' }) : silentLogger();
}

export async function openTestDb(ids: TestIds, logger: Logger = silentLogger()): Promise<Db> {
  const db = new PgDb({ url: TEST_DB_URL, schema: ids.schema, poolSize: 2, logger });
  await migrate(db, logger);
  return db;
}

export async function startController(
  cluster: TestCluster,
  ids: TestIds,
  options: {
    controller?: Record<string, unknown>;
    client?: KubeClient;
    logger?: Logger;
    kubeConfig?: KubeConfig;
  } = {},
): Promise<Harness> {
  const config = testConfig(cluster.env.kubeconfigPath, ids, options.controller);
  await ensureNamespace(cluster, config.controller.operatorNamespace);
  const logger = options.logger ?? testLogger();
  const registry = createRegistry({ defaultMetrics: false });
  const nats = await connect({ servers: config.nats.url });
  const db = await openTestDb(ids, logger);
  const controller = new Controller({
    config,
    logger,
    registry,
    kubeConfig: options.kubeConfig ?? cluster.kubeConfig,
    ...(options.client ? { client: options.client } : {}),
    nats,
    db,
    anonymizer,
  });
  await controller.start();
  await waitForConsumer(nats, config);
  const js = nats.jetstream();
  return {
    controller,
    nats,
    db,
    audit: new ControllerAuditStore(db),
    registry,
    config,
    publish: async (v) => {
      await js.publish(`${ids.subjectRoot}.verdicts.${v.entity.namespace ?? 'external'}`, JSON.stringify(v));
    },
    stop: async () => {
      await controller.stop();
      await nats.drain();
      await db.close();
    },
  };
}

export async function ensureNamespace(cluster: TestCluster, name: string): Promise<void> {
  try {
    await cluster.client.create(RESOURCES.namespaces, {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name },
    });
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
}

/** The leader's intake creates the verdict consumer; verdicts published before it would be skipped. */
export async function waitForConsumer(
  nats: NatsConnection,
  config: Config,
  timeoutMs = 30_000,
): Promise<void> {
  const jsm = await nats.jetstreamManager();
  await eventually(
    async () =>
      (await jsm.consumers.info(config.controller.verdicts.stream, config.controller.verdicts.durable)) !==
      undefined,
    timeoutMs,
    100,
    'the verdict consumer',
  );
}

/** Removes the test's stream and schema. */
export async function cleanUpIds(ids: TestIds): Promise<void> {
  const nc = await connect({ servers: 'nats://127.0.0.1:4222' });
  try {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.delete(ids.stream).catch(() => undefined);
  } finally {
    await nc.drain();
  }
  const db = new PgDb({ url: TEST_DB_URL, schema: ids.schema, poolSize: 1, logger: silentLogger() });
  await db.exec(`DROP SCHEMA IF EXISTS "${ids.schema}" CASCADE`);
  await db.close();
}

let seq = 0;

export interface VerdictInput {
  kind?: 'source' | 'destination';
  key: string;
  namespace?: string;
  workload?: string;
  /** Raw addresses; turned into tokens. */
  addresses?: string[];
  targets?: string[];
  anomaly?: number;
  impact?: number;
  confidence?: number;
  scoredAt?: number;
  detectors?: Verdict['detectors'];
  features?: string[];
}

export function makeVerdict(input: VerdictInput): Verdict {
  const scoredAt = input.scoredAt ?? Date.now();
  const scores = {
    anomaly: input.anomaly ?? 0.95,
    impact: input.impact ?? 0.9,
    confidence: input.confidence ?? 0.9,
  };
  return {
    version: VERDICT_VERSION,
    id: `v-${process.pid}-${++seq}-${scoredAt}`,
    entity: {
      kind: input.kind ?? 'source',
      key: input.key,
      ...(input.namespace ? { namespace: input.namespace } : {}),
      ...(input.workload ? { workload: input.workload } : {}),
      addresses: (input.addresses ?? []).map(token),
    },
    targets: (input.targets ?? []).map((ip) => ({ address: token(ip), flows: 100, bytes: 50_000 })),
    window: { start: scoredAt - 60_000, end: scoredAt },
    scoredAt,
    scores: { ...scores, threat: 0.6 * scores.anomaly + 0.3 * scores.impact + 0.1 * scores.confidence },
    detectors: input.detectors ?? [{ detector: 'isolation-forest', score: scores.anomaly, raw: 0.7 }],
    explanation: {
      summary: 'port fan-out far above baseline',
      features: (input.features ?? ['dst_port_count']).map((name) => ({
        name,
        value: 120,
        baseline: 3,
        deviation: 25,
      })),
    },
    models: { 'isolation-forest': 1 },
  };
}
