/**
 * Opening the store against a database that is not there, refuses the login, or appears late;
 * and a write retried across an outage. PostgreSQL is reached through a TcpProxy so the test can
 * switch it off and on.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, test } from 'node:test';
import { storeSchema } from '../../../src/config/schema.js';
import { openStore, withRetry } from '../../../src/detector/store/connect.js';
import { FeatureStore } from '../../../src/detector/store/feature-store.js';
import { ForesightError } from '../../../src/errors.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { capturingLogger, dropAndClose, featureRow, uniqueSchema } from './support.js';
import { TcpProxy } from './tcp-proxy.js';

const SECRET = 's3cret-pw';
const fast = { initialMs: 10, maxMs: 40 };

function config(url: string) {
  return storeSchema.parse({ kind: 'postgres', url, schema: uniqueSchema('t_connect'), connectRetry: fast });
}

/** Polls `cond` every 10 ms, at most `tries` times; the test's own guard against hanging. */
async function until(cond: () => boolean, tries = 1000): Promise<void> {
  for (let i = 0; i < tries && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'condition never became true');
}

describe('openStore', () => {
  test('pglite opens at once', async () => {
    const db = await openStore(storeSchema.parse({ kind: 'pglite', schema: 't_lite' }), {
      logger: silentLogger(),
      registry: createRegistry({ defaultMetrics: false }),
    });
    assert.equal(db.kind, 'pglite');
    assert.deepEqual((await db.query<{ n: number }>('SELECT 1 AS n')).rows, [{ n: 1 }]);
    await db.close();
  });

  test('[integration] unreachable database: one clear line per distinct error, retries until aborted', async () => {
    const { logger, lines } = capturingLogger();
    const registry = createRegistry({ defaultMetrics: false });
    const controller = new AbortController();
    const opening = openStore(config(`postgres://postgres:${SECRET}@127.0.0.1:5999/test`), {
      logger,
      registry,
      signal: controller.signal,
    });
    await until(() => lines.filter((l) => l.level === 'debug').length >= 3);
    controller.abort();
    const err = await opening.catch((e: unknown) => e);

    assert.ok(err instanceof ForesightError);
    assert.equal(err.code, 'store-connect-aborted');
    assert.match(err.message, /cannot reach PostgreSQL at 127\.0\.0\.1:5999 \(ECONNREFUSED\)/);
    const warns = lines.filter((l) => l.level === 'warn');
    assert.equal(warns.length, 1, 'repeats of the same error are not warned again');
    assert.match(
      warns[0]!.message,
      /^cannot reach PostgreSQL at 127\.0\.0\.1:5999 \(ECONNREFUSED\); retrying in \d+ms$/,
    );
    for (const l of lines) {
      assert.ok(!l.message.includes(SECRET), `password leaked: ${l.message}`);
      assert.ok(!l.message.includes('\n    at '), `stack trace logged: ${l.message}`);
    }
    assert.ok(!err.message.includes(SECRET));
    assert.match(
      await registry.metrics(),
      /^foresight_store_errors_total\{op="connect"\} ([3-9]|[1-9]\d+)$/m,
    );
  });

  test('[integration] connects once the server appears', async () => {
    const port = await TcpProxy.freePort();
    const proxy = new TcpProxy(port, { host: '127.0.0.1', port: 5432 });
    const { logger, lines } = capturingLogger();
    const opening = openStore(config(`postgres://postgres:${SECRET}@127.0.0.1:${port}/test`), {
      logger,
      registry: createRegistry({ defaultMetrics: false }),
    });
    try {
      await until(() => lines.some((l) => l.level === 'warn'));
      await proxy.start();
      const db = await opening;
      assert.deepEqual((await db.query<{ n: number }>('SELECT 1 AS n')).rows, [{ n: 1 }]);
      assert.ok(
        lines.some(
          (l) =>
            l.level === 'info' &&
            /connected to PostgreSQL at 127\.0\.0\.1:\d+ .*after retrying/.test(l.message),
        ),
      );
      await db.close();
    } finally {
      await proxy.stop();
    }
  });

  test(
    '[integration] abort does not wait out a connect attempt that hangs',
    { timeout: 30_000 },
    async () => {
      // A server that accepts and never answers: the attempt would last connectTimeoutMs (120 s).
      const silent = net.createServer((socket) => {
        sockets.push(socket);
      });
      const sockets: net.Socket[] = [];
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const port = (silent.address() as net.AddressInfo).port;
      const controller = new AbortController();
      const cfg = storeSchema.parse({
        kind: 'postgres',
        url: `postgres://postgres@127.0.0.1:${port}/test`,
        schema: 't_hang',
        connectTimeoutMs: 120_000,
      });
      const opening = openStore(cfg, {
        logger: silentLogger(),
        registry: createRegistry(),
        signal: controller.signal,
      });
      try {
        await until(() => sockets.length > 0);
        controller.abort();
        await assert.rejects(opening, { code: 'store-connect-aborted' });
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    },
  );

  test('[integration] a user that does not exist: a clear message naming the refusal', async () => {
    const { logger, lines } = capturingLogger();
    const controller = new AbortController();
    const opening = openStore(config(`postgres://foresight_nobody:${SECRET}@127.0.0.1:5432/test`), {
      logger,
      registry: createRegistry({ defaultMetrics: false }),
      signal: controller.signal,
    });
    await until(() => lines.some((l) => l.level === 'warn'));
    controller.abort();
    await assert.rejects(opening, { code: 'store-connect-aborted' });
    const warn = lines.find((l) => l.level === 'warn')!;
    assert.match(
      warn.message,
      /^PostgreSQL at 127\.0\.0\.1:5432 rejected the login: role "foresight_nobody" does not exist \(28000\); retrying in/,
    );
    assert.ok(lines.every((l) => !l.message.includes(SECRET)));
  });
});

describe('withRetry', () => {
  test('[integration] a write during an outage is retried and lands once the database is back', async () => {
    const port = await TcpProxy.freePort();
    const proxy = new TcpProxy(port, { host: '127.0.0.1', port: 5432 });
    await proxy.start();
    const cfg = config(`postgres://postgres@127.0.0.1:${port}/test`);
    const { logger, lines } = capturingLogger();
    const registry = createRegistry({ defaultMetrics: false });
    const db = await openStore(cfg, { logger, registry });
    const store = new FeatureStore(db, cfg, { logger, registry, ownsDb: false });
    try {
      await store.migrate();
      await proxy.stop(); // the database goes away with the pool's connections
      const batch = { rows: [featureRow('ns/outage', '2011-08-16T10:00:00Z')], newPeers: [] };
      const writing = withRetry(() => store.writeWindows(batch), {
        logger,
        op: 'write features',
        backoff: fast,
        url: cfg.url,
        registry,
      });
      await until(() =>
        lines.some((l) => l.level === 'warn' && l.message.startsWith('write features failed')),
      );
      await proxy.start();
      assert.equal((await writing).rows, 1);
      assert.equal(await store.countFeatures({ entity: 'ns/outage' }), 1);
      assert.ok(lines.some((l) => l.message === 'write features succeeded after retrying'));
    } finally {
      await store.close();
      await dropAndClose(db);
      await proxy.stop();
    }
  });

  test('a non-transient error is thrown at once', async () => {
    let calls = 0;
    const bug = Object.assign(new Error('duplicate key'), { code: '23505' });
    await assert.rejects(
      withRetry(
        () => {
          calls += 1;
          return Promise.reject(bug);
        },
        { logger: silentLogger(), op: 'write', backoff: fast },
      ),
      bug,
    );
    assert.equal(calls, 1);
  });
});
