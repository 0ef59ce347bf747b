/**
 * npm run bench:ingest [-- FILE] [--batch 100] [--partitions 1]
 *
 * Replays a flow file (CTU-13 scenario 6 when given its path; otherwise 30 simulated minutes of
 * the default cluster with attacks, from `foresight simulate`) through real NATS JetStream into real PostgreSQL, and prints
 * from one run: end-to-end flows/s (first publish → last window durable), the rate of a bare
 * consumer that only fetches and acks the same messages (this machine's ceiling) and the ratio,
 * p50/p99 from a message reaching the stream to its features being durable, and peak RSS.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from 'nats';
import { parseConfig } from '../src/config/load.js';
import { Detector } from '../src/detector/ingest/detector.js';
import { ensureStream, flowSubjects } from '../src/detector/ingest/jetstream.js';
import { CountingDeadLetterSink, NatsDeadLetterSink } from '../src/detector/ingest/nats-dead-letters.js';
import { buildPipeline } from '../src/detector/ingest/pipeline-factory.js';
import { FeatureStore } from '../src/detector/store/feature-store.js';
import { PgDb } from '../src/detector/store/pg-db.js';
import { CryptoPan } from '../src/flows/anonymizer.js';
import { noEnrichment } from '../src/flows/enrichment.js';
import { silentLogger } from '../src/observability/logger.js';
import { createRegistry } from '../src/observability/metrics.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { batch: { type: 'string', default: '100' }, partitions: { type: 'string', default: '1' } },
});
const linesPerMessage = Number(values.batch);
const logger = silentLogger();
const id = Date.now().toString(36);

/** 30 simulated minutes of the default cluster with every attack, written by `foresight simulate`. */
function simulatedCapture(): { file: string } {
  const file = join(mkdtempSync(join(tmpdir(), 'foresight-bench-')), 'sim.ndjson');
  const args = [
    '--seed',
    '11',
    '--start',
    '2026-11-02T13:00:00Z',
    '--duration',
    '30m',
    '--rate',
    '150',
    '--out',
    file,
  ];
  const sim = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'simulate', ...args], {
    stdio: 'inherit',
  });
  if (sim.status !== 0) throw new Error('foresight simulate failed');
  return { file };
}

const input = positionals[0] ? { file: positionals[0] } : simulatedCapture();
const config = parseConfig({
  nats: {
    subjectPrefix: `bench${id}.flows`,
    stream: { name: `BENCH_${id}` },
    partitions: Number(values.partitions),
    consumer: { durable: `bench-${id}`, fetchBatch: 256 },
  },
  store: { url: 'postgres://postgres@127.0.0.1:5432/test', schema: `bench_${id}` },
});

const nc = await connect({ servers: config.nats.url });
const jsm = await nc.jetstreamManager();
await ensureStream(jsm, config.nats, logger);
const db = new PgDb({ url: config.store.url, schema: config.store.schema, poolSize: 4, logger });
const registry = createRegistry();
const store = new FeatureStore(db, config.store, { logger, registry });
await store.migrate();

const latencies: number[] = [];
const detector = new Detector({
  nc,
  sink: store,
  deadLetters: new CountingDeadLetterSink(
    new NatsDeadLetterSink(nc.jetstream(), flowSubjects(config.nats).deadLetters),
    registry,
  ),
  pipeline: (aggregator) =>
    buildPipeline(config, aggregator, {
      enricher: noEnrichment,
      anonymizer: new CryptoPan(Buffer.alloc(32, 5)),
      registry,
    }),
  config,
  logger,
  registry,
  retryWrite: (fn) => fn(),
  observeLatency: (ms) => latencies.push(ms),
});

// End to end: the detector consumes while another process publishes the file as fast as
// JetStream acks (as a collector would, on its own core).
const configFile = join(mkdtempSync(join(tmpdir(), 'foresight-bench-')), 'config.json');
writeFileSync(
  configFile,
  JSON.stringify({
    nats: {
      subjectPrefix: config.nats.subjectPrefix,
      stream: { name: config.nats.stream.name },
      partitions: config.nats.partitions,
    },
  }),
);
const running = detector.start();
const publisher = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    'src/cli.ts',
    '--config',
    configFile,
    'replay',
    input.file,
    '--speed',
    'max',
    '--batch',
    String(linesPerMessage),
    '--source',
    'bench',
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
let publisherOut = '';
publisher.stdout.on('data', (d: Buffer) => (publisherOut += d.toString()));
await new Promise((resolve) => publisher.once('exit', resolve));
const replay = {
  flows: Number(/flows\s+(\d+)/.exec(publisherOut)?.[1]),
  messages: Number(/messages\s+(\d+)/.exec(publisherOut)?.[1]),
  seconds: Number(/time\s+([\d.]+) s/.exec(publisherOut)?.[1]),
};
const lastSeq = (await jsm.streams.info(config.nats.stream.name)).state.last_seq;
for (;;) {
  const cp = await store.loadCheckpoint(config.nats.consumer.durable);
  if (cp && cp.lastSeq >= lastSeq && cp.resumeSeq > cp.lastSeq) break;
  await new Promise((r) => setTimeout(r, 20));
}
const durableAt = Date.now();
// First publish → last window durable (the publisher's start-up does not count).
const firstPublish = Date.parse((await jsm.streams.info(config.nats.stream.name)).state.first_ts);
const e2eSeconds = (durableAt - firstPublish) / 1000;
await detector.stop();
await running;
const windows = await store.countFeatures();
const metricValue = async (name: string) =>
  (await registry.getSingleMetric(name)?.get())?.values[0]?.value ?? 0;
const late = await metricValue('foresight_flows_late_total');
const recovered = await metricValue('foresight_nats_deliveries_recovered_total');

// Ceiling: a consumer that only fetches and acks the same messages.
const bareName = `bare-${id}`;
await jsm.consumers.add(config.nats.stream.name, {
  durable_name: bareName,
  ack_policy: 'explicit',
  filter_subject: flowSubjects(config.nats).allFlows,
  max_ack_pending: 20000,
} as never);
const bare = await nc.jetstream().consumers.get(config.nats.stream.name, bareName);
const bareStarted = performance.now();
let bareMessages = 0;
const flowMessages = replay.messages;
while (bareMessages < flowMessages) {
  const batch = await bare.fetch({ max_messages: 256, expires: 1000 });
  for await (const m of batch) {
    m.ack();
    bareMessages++;
  }
}
const bareSeconds = (performance.now() - bareStarted) / 1000;

latencies.sort((a, b) => a - b);
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
const e2eRate = replay.flows / e2eSeconds;
const bareRate = replay.flows / bareSeconds;
const rows = [
  ['input', positionals[0] ?? 'simulator, 30 min, rate 150, all attacks'],
  ['flows / messages', `${replay.flows} / ${replay.messages} (${linesPerMessage} records per message)`],
  ['publish only', `${Math.round(replay.flows / replay.seconds)} flows/s`],
  [
    'end to end',
    `${Math.round(e2eRate)} flows/s (${e2eSeconds.toFixed(2)} s, ${windows} feature windows, ${late} late, ` +
      `${recovered} messages read back after a lost delivery)`,
  ],
  ['bare consumer', `${Math.round(bareRate)} flows/s (${Math.round(bareMessages / bareSeconds)} msgs/s)`],
  ['ratio', `${((100 * e2eRate) / bareRate).toFixed(1)}% of the bare consumer`],
  ['latency p50/p99', `${q(0.5).toFixed(0)} ms / ${q(0.99).toFixed(0)} ms (stream → durable features)`],
  ['peak RSS', `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`],
  [
    'machine',
    `${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  ],
];
for (const [k, v] of rows) console.log(`${k!.padEnd(17)} ${v}`);

await jsm.streams.delete(config.nats.stream.name);
await db.exec(`DROP SCHEMA IF EXISTS "${config.store.schema}" CASCADE`);
await store.close();
await nc.drain();
