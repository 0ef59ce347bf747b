import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { NatsConnection } from 'nats';
import type { Config } from '../../../src/config/schema.js';
import { Detector } from '../../../src/detector/ingest/detector.js';
import {
  CountingDeadLetterSink,
  DLQ_HEADERS,
  NatsDeadLetterSink,
} from '../../../src/detector/ingest/nats-dead-letters.js';
import {
  consumerPlans,
  ensureConsumer,
  ensureStream,
  flowSubjects,
} from '../../../src/detector/ingest/jetstream.js';
import { extractFeatures } from '../../../src/detector/ingest/offline.js';
import { buildPipeline } from '../../../src/detector/ingest/pipeline-factory.js';
import { replayFile } from '../../../src/detector/ingest/replay.js';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { PgDb } from '../../../src/detector/store/pg-db.js';
import { PgliteDb } from '../../../src/detector/store/pglite-db.js';
import type { FeatureRow } from '../../../src/detector/store/types.js';
import { createAnonymizer } from '../../../src/flows/anonymizer-key.js';
import { MemoryDeadLetterSink } from '../../../src/flows/dead-letter.js';
import { StaticEnricher } from '../../../src/flows/enrichment.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry, type Registry } from '../../../src/observability/metrics.js';
import {
  connectTestNats,
  deleteStream,
  uniqueStreamNames,
  type TestStreamNames,
} from '../../support/nats.js';
import { uniqueSchema } from '../store/support.js';
import { MALFORMED, ingestConfig, writeCapture, type Capture } from './support.js';

const logger = silentLogger();

function parts(config: Config) {
  return {
    enricher: StaticEnricher.fromFile(config.enrichment.staticMapFile!),
    anonymizer: createAnonymizer(config.anonymization, logger),
    registry: createRegistry({ defaultMetrics: false }),
  };
}

async function pgStore(config: Config): Promise<FeatureStore> {
  const db = new PgDb({ url: config.store.url, schema: config.store.schema, poolSize: 2, logger });
  const store = new FeatureStore(db, config.store, {
    logger,
    registry: createRegistry({ defaultMetrics: false }),
  });
  await store.migrate();
  return store;
}

async function offlineRows(capture: Capture, config: Config): Promise<FeatureRow[]> {
  const db = await PgliteDb.open({ schema: 'offline' });
  const store = new FeatureStore(
    db,
    { ...config.store, kind: 'pglite' },
    { logger, registry: createRegistry() },
  );
  await store.migrate();
  await extractFeatures(capture.file, {
    config,
    store,
    deadLetters: new MemoryDeadLetterSink(),
    ...parts(config),
  });
  const rows = await store.readFeatures({});
  await store.close();
  return rows;
}

async function replay(nc: NatsConnection, capture: Capture, config: Config): Promise<number> {
  await ensureStream(await nc.jetstreamManager(), config.nats, logger);
  await replayFile(capture.file, {
    js: nc.jetstream(),
    subjectPrefix: config.nats.subjectPrefix,
    partitions: 1,
    speed: 'max',
    linesPerMessage: 100,
  });
  const info = await (await nc.jetstreamManager()).streams.info(config.nats.stream.name);
  return info.state.last_seq;
}

/**
 * Runs an in-process detector until every message up to `lastSeq` is counted and acked (and
 * `alsoUntil` holds); returns its metrics.
 */
async function runUntilDone(
  nc: NatsConnection,
  config: Config,
  lastSeq: number,
  alsoUntil: () => Promise<boolean> = () => Promise.resolve(true),
): Promise<Registry> {
  const store = await pgStore(config);
  const p = parts(config);
  const detector = new Detector({
    nc,
    sink: store,
    deadLetters: new CountingDeadLetterSink(
      new NatsDeadLetterSink(nc.jetstream(), flowSubjects(config.nats).deadLetters),
      p.registry,
    ),
    pipeline: (aggregator) => buildPipeline(config, aggregator, p),
    config,
    logger,
    registry: p.registry,
    retryWrite: (fn) => fn(),
  });
  const running = detector.start();
  try {
    for (let i = 0; i < 600; i++) {
      const cp = await store.loadCheckpoint(config.nats.consumer.durable);
      if (cp && cp.lastSeq >= lastSeq && cp.resumeSeq > cp.lastSeq && (await alsoUntil())) return p.registry;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('detector did not finish within 60 s');
  } finally {
    await detector.stop();
    await running;
    await store.close();
  }
}

const byKey = (rows: FeatureRow[]) => new Map(rows.map((r) => [`${r.kind}|${r.entity}|${r.windowStart}`, r]));

function assertSameFeatures(online: FeatureRow[], offline: FeatureRow[]): void {
  assert.ok(offline.length > 100, `expected a substantial capture, got ${offline.length} windows`);
  const want = byKey(offline);
  const got = byKey(online);
  assert.equal(got.size, want.size, 'same number of windows');
  for (const [key, row] of want) assert.deepEqual(got.get(key), row, key);
}

describe('detector on real NATS JetStream and PostgreSQL [integration]', () => {
  let nc: NatsConnection;
  let capture: Capture;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    nc = await connectTestNats();
    capture = writeCapture(15, 4);
  });
  after(async () => {
    for (const c of cleanups) await c();
    await nc.drain();
  });

  function fresh(): { names: TestStreamNames; config: Config } {
    const names = uniqueStreamNames('ing');
    const config = ingestConfig(capture, names, uniqueSchema('t_ingest'));
    cleanups.push(async () => {
      await deleteStream(nc, names.stream);
      const store = await pgStore(config);
      await store.close();
      const db = new PgDb({ url: config.store.url, schema: config.store.schema, poolSize: 1, logger });
      await db.exec(`DROP SCHEMA IF EXISTS "${config.store.schema}" CASCADE`);
      await db.close();
    });
    return { names, config };
  }

  it('[integration] writes the same features as the offline pipeline, dead-letters malformed lines, stores no raw address', async () => {
    const { config } = fresh();
    const lastSeq = await replay(nc, capture, config);
    await runUntilDone(nc, config, lastSeq);
    const store = await pgStore(config);
    const online = await store.readFeatures({});
    assertSameFeatures(online, await offlineRows(capture, config));

    // Malformed lines went to <prefix>.dlq with a reason and their original bytes.
    const jsm = await nc.jetstreamManager();
    const dlq = flowSubjects(config.nats).deadLetters;
    const letters: { reason: string; raw: string }[] = [];
    const info = await jsm.streams.info(config.nats.stream.name);
    for (let seq = 1; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(config.nats.stream.name, { seq });
      if (m.subject === dlq) letters.push({ reason: m.header.get(DLQ_HEADERS.reason), raw: m.string() });
    }
    assert.deepEqual(letters.map((l) => l.raw).sort(), [...MALFORMED].sort());
    for (const l of letters) assert.match(l.reason, /^(malformed|invalid-field)$/);

    // Nothing in the store looks like an address: only tokens and workload names.
    const db = new PgDb({ url: config.store.url, schema: config.store.schema, poolSize: 1, logger });
    const dotted = /\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/;
    for (const table of ['features', 'peer_seen', 'ingest_checkpoints']) {
      const { rows } = await db.query<{ t: string }>(`SELECT t::text AS t FROM ${table} t`);
      assert.ok(rows.length > 0, `${table} has rows`);
      for (const r of rows)
        assert.doesNotMatch(r.t, dotted, `${table} holds an address: ${r.t.slice(0, 200)}`);
    }
    await db.close();
    await store.close();
  });

  it('[integration] a detector killed mid-run and restarted loses no flow and counts none twice', async () => {
    const { config } = fresh();
    const lastSeq = await replay(nc, capture, config);
    const configFile = join(capture.dir, `${config.nats.consumer.durable}.json`);
    writeFileSync(
      configFile,
      JSON.stringify({
        nats: config.nats,
        store: { ...config.store, url: config.store.url },
        anonymization: { keyFile: capture.keyFile },
        enrichment: config.enrichment,
        features: config.features,
        http: { port: 0 },
        log: { level: 'warn', format: 'json' },
      }),
    );
    // A real process, killed with SIGKILL as soon as it has made some windows durable.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', 'src/cli.ts', '--config', configFile, 'detector'],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_c, s) => resolve(s)));
    const store = await pgStore(config);
    let killedAt: { lastSeq: number } | undefined;
    for (let i = 0; i < 600 && !killedAt; i++) {
      const cp = await store.loadCheckpoint(config.nats.consumer.durable);
      if (cp && cp.lastSeq > 0 && cp.lastSeq < lastSeq) {
        child.kill('SIGKILL');
        killedAt = cp;
      } else await new Promise((r) => setTimeout(r, 20));
    }
    if (!killedAt) child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL', stderr);
    assert.ok(killedAt, `the detector was killed before finishing (stderr: ${stderr.slice(0, 500)})`);
    const partial = await store.countFeatures();
    assert.ok(partial > 0, 'some windows were durable before the kill');

    await runUntilDone(nc, config, lastSeq);
    assertSameFeatures(await store.readFeatures({}), await offlineRows(capture, config));
    await store.close();
  });

  it('[integration] deliveries the client never saw (an expired fetch) are read back from the stream at once and not counted twice when redelivered', async () => {
    const names = uniqueStreamNames('ing');
    const { config } = fresh();
    const lossy = ingestConfig(capture, names, config.store.schema, {
      nats: { consumer: { ackWaitSeconds: 1 } },
    });
    const lastSeq = await replay(nc, capture, lossy);
    cleanups.push(() => deleteStream(nc, names.stream));
    const jsm = await nc.jetstreamManager();
    await ensureConsumer(jsm, lossy, consumerPlans(lossy)[0]!, logger);
    // Another subscriber takes the first three deliveries and drops them: to the server they are
    // delivered and unacked, exactly like messages that reach a fetch after it expired.
    const thief = await nc.jetstream().consumers.get(names.stream, names.durable);
    const stolen: number[] = [];
    for await (const m of await thief.fetch({ max_messages: 3, expires: 1000 })) stolen.push(m.seq);
    assert.deepEqual(stolen, [1, 2, 3]);

    const ackPending = async () => (await jsm.consumers.info(names.stream, names.durable)).num_ack_pending;
    const registry = await runUntilDone(nc, lossy, lastSeq, async () => (await ackPending()) === 0);

    const store = await pgStore(lossy);
    assertSameFeatures(await store.readFeatures({}), await offlineRows(capture, lossy));
    await store.close();
    const metric = async (name: string) =>
      Object.fromEntries(
        ((await registry.getSingleMetric(name)?.get())?.values ?? []).map((v) => [
          String(v.labels.outcome ?? ''),
          v.value,
        ]),
      );
    assert.equal((await metric('foresight_nats_deliveries_recovered_total'))[''], 3);
    const messages = await metric('foresight_nats_messages_total');
    assert.ok((messages.duplicate ?? 0) >= 3, `redeliveries acked, not counted: ${JSON.stringify(messages)}`);
    assert.equal(await ackPending(), 0, 'every message acked, the recovered ones through their redelivery');
  });
});
