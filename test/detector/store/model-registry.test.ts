/**
 * The model registry and the lease, on both backends: versions, promotion with one active
 * version per name, rejection, rollback that never returns to a rolled-back version, and a lease
 * that only one holder can take until it expires or is released.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../../src/detector/store/migrate.js';
import type { Db } from '../../../src/detector/store/db.js';
import { Leases, withLease } from '../../../src/detector/store/leases.js';
import { ModelRegistry } from '../../../src/detector/store/model-registry.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { BACKENDS, dropAndClose, openTestDb, storeConfig, type Backend } from './support.js';

const candidate = (name: string, quality: number) => ({
  name,
  params: { quality },
  onnx: new Uint8Array([1, 2, 3, quality * 100]),
  featureSchemaVersion: 1,
  trainedFrom: Date.UTC(2026, 0, 1),
  trainedTo: Date.UTC(2026, 0, 2),
  trainingRows: 100,
  metrics: { quality },
});

function suite(backend: Backend): void {
  const tag = backend === 'postgres' ? ' [integration]' : '';
  const it = (name: string, fn: () => Promise<void>): void => {
    test(`${name}${tag}`, fn);
  };

  describe(`model registry and leases on ${backend}${tag}`, () => {
    let db: Db;
    let registry: ModelRegistry;

    before(async () => {
      db = await openTestDb(
        storeConfig(backend, { schema: `t_registry_${Math.random().toString(16).slice(2, 10)}` }),
      );
      await migrate(db, silentLogger());
      registry = new ModelRegistry(db);
    });

    after(async () => {
      await dropAndClose(db);
    });

    it('numbers versions per name and keeps bytes, params and metrics', async () => {
      assert.equal(await registry.saveCandidate(candidate('m/a', 0.5)), 1);
      assert.equal(await registry.saveCandidate(candidate('m/a', 0.6)), 2);
      assert.equal(await registry.saveCandidate(candidate('m/b', 0.7)), 1);
      const v2 = await registry.get('m/a', 2);
      assert.equal(v2.status, 'candidate');
      assert.deepEqual(v2.params, { quality: 0.6 });
      assert.deepEqual([...(v2.onnx ?? [])], [1, 2, 3, 60]);
      assert.deepEqual(v2.metrics, { quality: 0.6 });
      assert.equal(v2.trainedTo, Date.UTC(2026, 0, 2));
    });

    it('an onnx function receives the version being assigned', async () => {
      const version = await registry.saveCandidate({
        ...candidate('m/c', 0.5),
        onnx: (v) => new Uint8Array([v]),
      });
      assert.deepEqual([...((await registry.get('m/c', version)).onnx ?? [])], [version]);
    });

    it('promotion keeps exactly one active version per name', async () => {
      await registry.promote('m/a', 1);
      await registry.promote('m/a', 2);
      await registry.promote('m/b', 1);
      const statuses = (await registry.list('m/a')).map((m) => [m.version, m.status]);
      assert.deepEqual(statuses, [
        [2, 'active'],
        [1, 'retired'],
      ]);
      assert.deepEqual(await registry.activeVersions(), { 'm/a': 2, 'm/b': 1 });
      const active = await registry.loadActive(['m/a']);
      assert.deepEqual(
        active.map((v) => [v.name, v.version, [...(v.onnx ?? [])]]),
        [['m/a', 2, [1, 2, 3, 60]]],
      );
    });

    it('the database refuses a second active version even behind the registry', async () => {
      await assert.rejects(
        db.query(`UPDATE models SET status = 'active' WHERE name = 'm/a' AND version = 1`),
        (err: { code?: string }) => err.code === '23505',
      );
    });

    it('rollback reactivates the previous version and never returns to a rolled-back one', async () => {
      assert.deepEqual(await registry.rollback('m/a'), { from: 2, to: 1 });
      assert.deepEqual(await registry.activeVersions(), { 'm/a': 1, 'm/b': 1 });
      const v2 = await registry.get('m/a', 2);
      assert.equal(v2.status, 'retired');
      assert.ok(v2.rolledBackAt !== undefined);
      await assert.rejects(registry.rollback('m/a'), { code: 'registry-no-previous' });
      const v3 = await registry.saveCandidate(candidate('m/a', 0.8));
      await registry.promote('m/a', v3);
      assert.deepEqual(await registry.rollback('m/a'), { from: 3, to: 1 });
    });

    it('a rejected version cannot be promoted, and the active one cannot be rejected', async () => {
      const v = await registry.saveCandidate(candidate('m/a', 0.1));
      await registry.reject('m/a', v, 'worse than active');
      assert.equal((await registry.get('m/a', v)).note, 'worse than active');
      await assert.rejects(registry.promote('m/a', v), { code: 'registry-bad-transition' });
      await assert.rejects(registry.reject('m/a', 1, 'no'), { code: 'registry-bad-transition' });
      await assert.rejects(registry.rollback('m/none'), { code: 'registry-no-active' });
    });

    it('a lease has one holder until released or expired', async () => {
      const leases = new Leases(db);
      assert.equal(await leases.acquire('trainer', 'a', 60_000), true);
      assert.equal(await leases.acquire('trainer', 'b', 60_000), false);
      assert.equal(await leases.acquire('trainer', 'a', 60_000), true, 'the holder renews');
      assert.equal((await leases.get('trainer'))?.holder, 'a');
      assert.equal(await leases.release('trainer', 'b'), false);
      assert.equal(await leases.release('trainer', 'a'), true);
      assert.equal(await leases.acquire('trainer', 'b', 1), true);
      await new Promise((r) => setTimeout(r, 20));
      assert.equal(await leases.acquire('trainer', 'a', 60_000), true, 'an expired lease is free');
      await leases.release('trainer', 'a');
    });

    it('withLease runs one of two concurrent jobs', async () => {
      const leases = new Leases(db);
      let ran = 0;
      const job = async () => {
        ran++;
        await new Promise((r) => setTimeout(r, 50));
        return 'done';
      };
      const results = await Promise.all([
        withLease(leases, 'job', 'a', 60_000, job),
        withLease(leases, 'job', 'b', 60_000, job),
      ]);
      assert.equal(ran, 1);
      assert.deepEqual(results.map((r) => r.ran).sort(), [false, true]);
      const refused = results.find((r) => !r.ran);
      assert.ok(refused && !refused.ran && (refused.holder === 'a' || refused.holder === 'b'));
      assert.equal(await leases.get('job'), undefined, 'released afterwards');
    });
  });
}

for (const backend of BACKENDS) suite(backend);
