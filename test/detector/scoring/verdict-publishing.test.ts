/**
 * Verdicts on real NATS JetStream: the scoring service stores its verdicts and publishes each on
 * `<prefix>.<namespace>` (`external` without one) into the verdict stream, with the verdict id as
 * message id; ensuring the stream accepts one that already exists with the same subjects.
 * Each test run has its own stream and subject prefix.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from 'nats';
import { RetentionPolicy, StorageType } from 'nats';
import type { Db } from '../../../src/detector/store/db.js';
import type { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { Leases } from '../../../src/detector/store/leases.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import { VerdictStore } from '../../../src/detector/store/verdict-store.js';
import { ScoringService } from '../../../src/detector/scoring/scoring-service.js';
import {
  NatsVerdictPublisher,
  ensureVerdictStream,
  subjectCovers,
} from '../../../src/detector/scoring/verdict-publisher.js';
import type { Verdict } from '../../../src/detector/scoring/verdict.js';
import { Trainer } from '../../../src/detector/training/trainer.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { connectTestNats, deleteStream } from '../../support/nats.js';
import { MINUTE, T0, memoryStore, rows, testConfig } from '../training/support.js';

const id = randomBytes(4).toString('hex');
const stream = `VERDICTS_T_${id}`;
const prefix = `t${id}.verdicts`;
const config = testConfig({
  scoring: {
    minThreat: 0,
    modelPollSeconds: 3600,
    publish: { stream, subjectPrefix: prefix, maxAgeSeconds: 600 },
  },
});

describe('verdict publishing [integration]', () => {
  let nc: NatsConnection;
  let db: Db;
  let store: FeatureStore;

  before(async () => {
    nc = await connectTestNats();
    ({ db, store } = await memoryStore(config));
    await store.writeWindows({ rows: rows(6, T0, 60, () => 'A'), newPeers: [] });
    await new Trainer({
      db,
      registry: new ModelRegistry(db),
      leases: new Leases(db),
      config,
      logger: silentLogger(),
      holder: 't',
      progress: false,
    }).trainNow({ anomalyOnly: true });
  });

  after(async () => {
    await deleteStream(nc, stream);
    await deleteStream(nc, `${stream}_PRE`);
    await nc.drain();
    await store.close();
    await db.close();
  });

  test('ensuring the stream is idempotent and accepts one created elsewhere with the same subjects [integration]', async () => {
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({
      name: `${stream}_PRE`,
      subjects: [`${prefix}pre.>`],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
    });
    const other = { stream: `${stream}_PRE`, subjectPrefix: `${prefix}pre`, maxAgeSeconds: 60 };
    await ensureVerdictStream(jsm, other, silentLogger());
    assert.deepEqual((await jsm.streams.info(`${stream}_PRE`)).config.subjects, [`${prefix}pre.>`]);
    await ensureVerdictStream(jsm, config.scoring.publish, silentLogger());
    await ensureVerdictStream(jsm, config.scoring.publish, silentLogger());
    assert.deepEqual((await jsm.streams.info(stream)).config.subjects, [`${prefix}.>`]);
  });

  test('scored windows are stored and published on their namespace subject [integration]', async () => {
    const js = nc.jetstream();
    const scoring = new ScoringService({
      db,
      registry: new ModelRegistry(db),
      verdicts: new VerdictStore(db, store.partitions),
      publisher: new NatsVerdictPublisher(js, prefix),
      config,
      logger: silentLogger(),
      metrics: createRegistry({ defaultMetrics: false }),
    });
    await scoring.refresh();
    const batch = rows(3, T0 + 90 * MINUTE, 1, () => 'B', 5).map((r, i) =>
      i === 0 ? { ...r, entity: 'shop/cart', namespace: 'shop', workload: 'cart' } : r,
    );
    const scored = await scoring.process(batch);
    await scoring.close();
    assert.equal(scored.length, 3);

    const consumer = await js.consumers.get(stream);
    const messages = await consumer.fetch({ max_messages: 10, expires: 2000 });
    const got: { subject: string; verdict: Verdict; msgId: string | undefined }[] = [];
    for await (const m of messages) {
      got.push({ subject: m.subject, verdict: m.json<Verdict>(), msgId: m.headers?.get('Nats-Msg-Id') });
      if (got.length === 3) break;
    }
    const bySubject = got.map((g) => g.subject).sort();
    assert.deepEqual(bySubject, [`${prefix}.external`, `${prefix}.external`, `${prefix}.shop`]);
    for (const g of got) assert.equal(g.msgId, g.verdict.id);
    const stored = await new VerdictStore(db, store.partitions).read({ from: T0 + 90 * MINUTE });
    assert.deepEqual(stored.map((v) => v.id).sort(), got.map((g) => g.verdict.id).sort());
    const cart = got.find((g) => g.subject.endsWith('.shop'))!.verdict;
    assert.equal(cart.entity.namespace, 'shop');
    assert.ok(cart.models['source/isolation-forest'] !== undefined);
  });
});

const covers: [string, string, boolean][] = [
  ['foresight.verdicts.>', 'foresight.verdicts.>', true],
  ['foresight.>', 'foresight.verdicts.>', true],
  ['>', 'foresight.verdicts.>', true],
  ['foresight.*.>', 'foresight.verdicts.>', true],
  ['foresight.verdicts.*', 'foresight.verdicts.>', false],
  ['foresight.verdicts.shop', 'foresight.verdicts.>', false],
  ['other.verdicts.>', 'foresight.verdicts.>', false],
];
for (const [pattern, wanted, expected] of covers) {
  test(`stream subject ${pattern} ${expected ? 'covers' : 'does not cover'} ${wanted}`, () => {
    assert.equal(subjectCovers(pattern, wanted), expected);
  });
}
