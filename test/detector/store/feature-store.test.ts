/**
 * The store suite, run once per backend: PGlite in memory and PostgreSQL (`test` database, a
 * schema unique to the run, dropped at the end). Same code, same assertions, both backends.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { migrate } from '../../../src/detector/store/migrate.js';
import { MIGRATIONS } from '../../../src/detector/store/migrations/index.js';
import { Partitions } from '../../../src/detector/store/partitions.js';
import type { Db } from '../../../src/detector/store/db.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { silentLogger } from '../../../src/observability/logger.js';
import type { Clock } from '../../../src/util/backoff.js';
import { BACKENDS, dropAndClose, featureRow, ms, openTestDb, storeConfig, type Backend } from './support.js';

const NOW = ms('2024-05-01T12:00:00Z');
const fixedClock: Clock = { now: () => NOW, sleep: () => Promise.resolve() };

function suite(backend: Backend): void {
  const tag = backend === 'postgres' ? ' [integration]' : '';
  // The tag goes on every test, not only the suite: name patterns select tests, not suites.
  const it = (name: string, fn: () => Promise<void>): void => {
    test(`${name}${tag}`, fn);
  };

  describe(`feature store on ${backend}${tag}`, () => {
    let store: FeatureStore;
    let db: Db;
    const registry = createRegistry({ defaultMetrics: false });
    const config = storeConfig(backend, { retentionDays: { features: 5, flows: 2, peerSeen: 7 } });

    async function partitionNames(table: 'features' | 'flows'): Promise<string[]> {
      return (await store.partitions.list(table)).map((p) => p.name);
    }

    before(async () => {
      db = await openTestDb(config);
      store = new FeatureStore(db, config, {
        logger: silentLogger(),
        registry,
        clock: fixedClock,
        ownsDb: false,
      });
      await store.migrate();
    });

    after(async () => {
      await store.close();
      await dropAndClose(db);
    });

    it('migrations are idempotent: a second run applies nothing and keeps the data', async () => {
      await store.writeWindows({ rows: [featureRow('ns/keep', '2011-08-16T05:00:00Z')], newPeers: [] });
      const again = await migrate(db, silentLogger());
      const all = MIGRATIONS.map((m) => m.version);
      assert.deepEqual(again, { applied: [], version: all[all.length - 1] });
      const { rows } = await db.query<{ version: number }>(
        'SELECT version FROM schema_migrations ORDER BY version',
      );
      assert.deepEqual(
        rows.map((r) => r.version),
        all,
      );
      assert.equal(await store.countFeatures({ entity: 'ns/keep' }), 1);
    });

    it('partitions ahead of now exist after migrate', async () => {
      const names = await partitionNames('features');
      for (const day of ['20240501', '20240502', '20240503'])
        assert.ok(names.includes(`features_p${day}`), day);
      assert.ok((await partitionNames('flows')).includes('flows_p20240503'));
    });

    it('a write of 2011 data creates the partitions it touches', async () => {
      assert.ok(!(await partitionNames('features')).includes('features_p20110814'));
      await store.writeWindows({
        rows: [featureRow('ns/a', '2011-08-14T23:59:00Z'), featureRow('ns/a', '2011-08-15T00:00:00Z')],
        newPeers: [],
      });
      const names = await partitionNames('features');
      assert.ok(names.includes('features_p20110814'));
      assert.ok(names.includes('features_p20110815'));
      assert.equal(await store.countFeatures({ entity: 'ns/a' }), 2);
    });

    it('writing the same batch twice leaves identical rows; a changed row overwrites, never sums', async () => {
      const rows = [
        featureRow('ns/web', '2011-08-16T10:00:00Z', { namespace: 'ns', workload: 'web' }),
        featureRow('ip:tokA', '2011-08-16T10:00:00Z', {}, 'destination'),
        featureRow('ns/web', '2011-08-16T10:01:00Z'),
      ];
      const first = await store.writeWindows({ rows, newPeers: [] });
      assert.equal(first.rows, 3);
      const q = { from: ms('2011-08-16T10:00:00Z'), to: ms('2011-08-16T11:00:00Z') };
      const afterFirst = await store.readFeatures(q);
      const stamps = await db.query<{ w: string }>(`SELECT written_at::text AS w FROM features ORDER BY 1`);

      const second = await store.writeWindows({ rows, newPeers: [] });
      assert.equal(second.rows, 0, 'identical rows are not rewritten');
      assert.deepEqual(await store.readFeatures(q), afterFirst);
      assert.deepEqual(await db.query(`SELECT written_at::text AS w FROM features ORDER BY 1`), stamps);

      const changed = featureRow('ns/web', '2011-08-16T10:00:00Z', { flows: 3, bytes: 5, namespace: 'ns' });
      const third = await store.writeWindows({ rows: [changed], newPeers: [] });
      assert.equal(third.rows, 1);
      const [row] = await store.readFeatures({ ...q, entity: 'ns/web', to: ms('2011-08-16T10:01:00Z') });
      assert.equal(row?.flows, 3);
      assert.equal(row?.bytes, 5);
      assert.equal(row?.workload, undefined, 'a field absent in the new row is cleared, not kept');
      assert.equal(await store.countFeatures(q), 3);
    });

    it('duplicate keys inside one batch: the last one wins', async () => {
      const t = '2011-08-16T12:00:00Z';
      await store.writeWindows({
        rows: [featureRow('ns/dup', t, { flows: 1 }), featureRow('ns/dup', t, { flows: 2 })],
        newPeers: [],
      });
      const rows = await store.readFeatures({ entity: 'ns/dup' });
      assert.deepEqual(
        rows.map((r) => r.flows),
        [2],
      );
    });

    it('every field round-trips, including text that needs escaping', async () => {
      const tricky = featureRow('ns/"odd",name\\x', '2011-08-16T13:00:00Z', {
        namespace: 'a,b',
        workload: 'line\nbreak',
        addresses: ['ip:"q"', 'ip:a,b', 'ip:back\\slash', 'NULL', ''],
        topPeers: [{ peer: 'ip:"x"', flows: 1, bytes: 2 ** 40 }],
        bytes: 2 ** 45,
        maliciousFlows: 4,
      });
      await store.writeWindows({ rows: [tricky], newPeers: [] });
      const [back] = await store.readFeatures({ entity: tricky.entity });
      assert.deepEqual(back, tricky);
    });

    it('the checkpoint only moves forward', async () => {
      assert.equal(await store.loadCheckpoint('c1'), undefined);
      const at = (iso: string, lastSeq: number) => ({
        rows: [],
        newPeers: [],
        checkpoints: [{ consumer: 'c1', watermark: ms(iso), resumeSeq: lastSeq - 5, lastSeq }],
      });
      const watermark = async () => (await store.loadCheckpoint('c1'))?.watermark;
      await store.writeWindows(at('2011-08-16T10:05:00Z', 100));
      assert.equal(await watermark(), ms('2011-08-16T10:05:00Z'));
      await store.writeWindows(at('2011-08-16T10:00:00Z', 90));
      assert.equal(await watermark(), ms('2011-08-16T10:05:00Z'));
      await store.writeWindows(at('2011-08-16T10:06:00.123Z', 120));
      assert.deepEqual(await store.loadCheckpoint('c1'), {
        consumer: 'c1',
        watermark: ms('2011-08-16T10:06:00.123Z'),
        resumeSeq: 115,
        lastSeq: 120,
      });
      assert.equal(await store.loadCheckpoint('other'), undefined);
    });

    it('peer history round-trips; the first sighting is kept', async () => {
      const peers = [
        { kind: 'source' as const, entity: 'ns/p', peer: 'ip:1', firstSeen: ms('2011-08-16T09:00:00Z') },
        { kind: 'source' as const, entity: 'ns/p', peer: 'ip:2', firstSeen: ms('2011-08-16T09:30:00Z') },
        {
          kind: 'destination' as const,
          entity: 'ip:svc',
          peer: 'ns/p',
          firstSeen: ms('2011-08-16T09:45:00Z'),
        },
      ];
      const res = await store.writeWindows({ rows: [], newPeers: peers });
      assert.equal(res.peers, 3);
      const later = { ...peers[0]!, firstSeen: ms('2011-08-16T11:00:00Z') };
      assert.equal((await store.writeWindows({ rows: [], newPeers: [later] })).peers, 0);
      const since = await store.loadPeerHistory(ms('2011-08-16T09:15:00Z'));
      assert.deepEqual(since, peers.slice(1));
      const all = await store.loadPeerHistory(ms('2011-08-16T00:00:00Z'));
      assert.deepEqual(all, peers);
    });

    it('readFeatures filters by time range, kind, entity and limit, ordered by time then entity', async () => {
      await store.writeWindows({
        rows: [
          featureRow('ns/z', '2011-08-18T00:02:00Z'),
          featureRow('ns/b', '2011-08-18T00:01:00Z'),
          featureRow('ns/a', '2011-08-18T00:01:00Z'),
          featureRow('ip:d', '2011-08-18T00:01:00Z', {}, 'destination'),
          featureRow('ns/a', '2011-08-18T00:03:00Z'),
        ],
        newPeers: [],
      });
      const base = { from: ms('2011-08-18T00:00:00Z'), to: ms('2011-08-18T00:03:00Z') };
      const key = (r: { entity: string; windowStart: number }) =>
        `${r.entity}@${new Date(r.windowStart).toISOString()}`;
      assert.deepEqual((await store.readFeatures(base)).map(key), [
        'ip:d@2011-08-18T00:01:00.000Z',
        'ns/a@2011-08-18T00:01:00.000Z',
        'ns/b@2011-08-18T00:01:00.000Z',
        'ns/z@2011-08-18T00:02:00.000Z',
      ]);
      assert.deepEqual((await store.readFeatures({ ...base, kind: 'destination' })).map(key), [
        'ip:d@2011-08-18T00:01:00.000Z',
      ]);
      assert.deepEqual((await store.readFeatures({ from: base.from, entity: 'ns/a' })).map(key), [
        'ns/a@2011-08-18T00:01:00.000Z',
        'ns/a@2011-08-18T00:03:00.000Z',
      ]);
      assert.equal((await store.readFeatures({ ...base, limit: 2 })).length, 2);
      assert.equal(await store.countFeatures(base), 4);
    });

    it('retention drops partitions older than the newest data minus retention, keeps the rest', async () => {
      // Ten days of 2011 data, newest on 2011-08-20; features keep 5 days, peers 7.
      const days = Array.from(
        { length: 10 },
        (_, i) => `2011-08-${String(11 + i).padStart(2, '0')}T06:00:00Z`,
      );
      await store.writeWindows({
        rows: days.map((d) => featureRow('ns/ret', d)),
        newPeers: [
          { kind: 'source', entity: 'ns/ret', peer: 'ip:old', firstSeen: ms('2011-08-12T00:00:00Z') },
          { kind: 'source', entity: 'ns/ret', peer: 'ip:new', firstSeen: ms('2011-08-19T00:00:00Z') },
        ],
      });
      const result = await store.applyRetention(NOW);
      // Newest data ends 2011-08-21T00:00Z; cutoff 2011-08-16T00:00Z: partitions ending by then go.
      assert.deepEqual([...result.dropped].sort(), [
        'features_p20110811',
        'features_p20110812',
        'features_p20110813',
        'features_p20110814',
        'features_p20110815',
      ]);
      const names = await partitionNames('features');
      for (const kept of ['features_p20110816', 'features_p20110820', 'features_p20240503']) {
        assert.ok(names.includes(kept), kept);
      }
      assert.equal(await store.countFeatures({ entity: 'ns/ret' }), 5);
      const peers = (await store.loadPeerHistory(0)).filter((p) => p.entity === 'ns/ret').map((p) => p.peer);
      assert.deepEqual(peers, ['ip:new']);
      assert.ok(result.peersDeleted >= 1);
      // Idempotent: nothing more to drop.
      assert.deepEqual((await store.applyRetention(NOW)).dropped, []);
    });

    it('a write into a partition another replica dropped behind the cache recreates it', async () => {
      await store.writeWindows({ rows: [featureRow('ns/late', '2011-08-19T06:00:00Z')], newPeers: [] });
      // Another replica's retention: the partition goes, this store's cache still lists it.
      const other = new Partitions(db, { partitionDays: 1, partitionsAhead: 0, logger: silentLogger() });
      await other.dropOlderThan('features', ms('2011-08-20T00:00:00Z'));
      assert.ok(!(await other.list('features')).some((p) => p.name === 'features_p20110819'));
      await store.writeWindows({ rows: [featureRow('ns/late', '2011-08-19T07:00:00Z')], newPeers: [] });
      assert.equal(await store.countFeatures({ entity: 'ns/late' }), 1);
    });

    it('once newer data arrives, retention measures from it and old replay partitions go', async () => {
      await store.writeWindows({ rows: [featureRow('ns/live', '2024-05-01T11:00:00Z')], newPeers: [] });
      const { dropped } = await store.applyRetention(NOW);
      assert.ok(dropped.includes('features_p20110820'));
      assert.ok(!(await partitionNames('features')).some((n) => n.startsWith('features_p2011')));
      assert.equal(await store.countFeatures(), 1);
    });

    it('metrics count written rows', async () => {
      const text = await registry.metrics();
      assert.match(text, /foresight_store_rows_written_total\{table="features"\} [1-9]/);
      assert.match(text, /foresight_store_write_seconds_count [1-9]/);
    });
  });
}

for (const backend of BACKENDS) suite(backend);

describe('concurrent replicas on postgres [integration]', () => {
  test('[integration] two replicas migrating and creating the same partitions at once both succeed', async () => {
    const config = storeConfig('postgres');
    const [a, b] = [await openTestDb(config), await openTestDb(config)];
    try {
      const results = await Promise.all([migrate(a, silentLogger()), migrate(b, silentLogger())]);
      // Each migration is applied exactly once, by one replica or the other.
      assert.deepEqual(
        results
          .map((r) => r.applied)
          .flat()
          .sort((a, b) => a - b),
        MIGRATIONS.map((m) => m.version),
      );
      const times = [ms('2011-08-16T01:00:00Z'), ms('2011-08-17T01:00:00Z')];
      const pa = new Partitions(a, { partitionDays: 1, partitionsAhead: 0, logger: silentLogger() });
      const pb = new Partitions(b, { partitionDays: 1, partitionsAhead: 0, logger: silentLogger() });
      await Promise.all([pa.ensureFor('features', times), pb.ensureFor('features', times)]);
      assert.deepEqual(
        (await pa.list('features')).map((p) => p.name),
        ['features_p20110816', 'features_p20110817'],
      );
    } finally {
      await b.close();
      await dropAndClose(a);
    }
  });
});
