/**
 * The dashboard API on a real store (PGlite and PostgreSQL [integration]): bearer-token access,
 * CSRF defences on changes, the routes' answers over seeded data, the analyst's answers taking
 * effect (feedback stored, threshold raised), alert rule CRUD, the model registry, reveal, and
 * the live stream.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ThreatIncident } from '../../src/controller/threatpolicy/crd-types.js';
import type { AccessControl, Permission } from '../../src/dashboard/server/types.js';
import { BACKENDS } from '../detector/store/support.js';
import { featureRow } from '../detector/store/support.js';
import { auth, NOW, testDashboard, TOKEN, verdict, type TestDashboard } from './support.js';

const INCIDENT = 'shop/default-shop-api-0000';

async function seed(d: TestDashboard): Promise<void> {
  const start = NOW - 10 * 60_000;
  const rows = [];
  for (let t = start; t < NOW; t += 60_000) {
    rows.push(
      featureRow('shop/api', new Date(t).toISOString(), {
        flows: 100,
        bytes: 5000,
        namespace: 'shop',
        topPeers: [{ peer: 't4:0a000001', flows: 60, bytes: 3000 }],
      }),
    );
    rows.push(
      featureRow(
        'shop/cart',
        new Date(t).toISOString(),
        { flows: 20, bytes: 900, namespace: 'shop', addresses: ['t4:0a000001'] },
        'destination',
      ),
    );
  }
  await d.store.writeWindows({ rows, newPeers: [] });
  await d.verdicts.write([verdict('shop/api', NOW - 120_000, 0.82), verdict('shop/api', NOW - 60_000, 0.91)]);
  const incident: ThreatIncident = {
    metadata: { namespace: 'shop', name: 'default-shop-api-0000' },
    spec: {
      policyRef: { name: 'default' },
      entity: { kind: 'source', key: 'shop/api', namespace: 'shop', workload: 'api' },
      release: false,
    },
    status: {
      phase: 'Open',
      action: 'Alert',
      score: { threat: 0.91, anomaly: 0.9, impact: 0.5, confidence: 0.6, latest: 0.91 },
      firstSeen: new Date(NOW - 120_000).toISOString(),
      lastSeen: new Date(NOW - 60_000).toISOString(),
      verdictCount: 2,
      window: { start: new Date(NOW - 120_000).toISOString(), end: new Date(NOW - 60_000).toISOString() },
      actions: [
        {
          type: 'Alert',
          state: 'Active',
          since: new Date(NOW - 120_000).toISOString(),
          expiresAt: new Date(NOW + 3_000_000).toISOString(),
        },
      ],
    },
  };
  await d.engine.incidents.upsert([
    {
      key: INCIDENT,
      policy: 'shop/default',
      spec: incident.spec,
      status: incident.status!,
      createdAt: NOW - 120_000,
      updatedAt: NOW - 60_000,
    },
  ]);
}

for (const backend of BACKENDS) {
  const tag = backend === 'postgres' ? ' [integration]' : '';
  describe(`dashboard API on ${backend}${tag}`, () => {
    let d: TestDashboard;
    before(async () => {
      d = await testDashboard(backend);
      await seed(d);
    });
    after(() => d.close());

    const get = (url: string, headers: Record<string, string> = auth) =>
      d.server.app.inject({ method: 'GET', url, headers });
    const send = (
      method: 'POST' | 'PUT' | 'DELETE',
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) =>
      d.server.app.inject({
        method,
        url,
        headers: {
          ...auth,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });

    describe('access', () => {
      const cases: [string, Record<string, string>, number][] = [
        ['no token', {}, 401],
        ['a wrong token', { authorization: 'Bearer not-the-token-at-all' }, 401],
        ['a token in another scheme', { authorization: `Basic ${TOKEN}` }, 401],
        ['the token', auth, 200],
      ];
      for (const [name, headers, status] of cases) {
        it(`answers ${status} to a request with ${name}`, async () => {
          assert.equal((await get('/api/session', headers)).statusCode, status);
        });
      }
      it('never serves the API to cookies', async () => {
        const res = await get('/api/session', { cookie: `token=${TOKEN}` });
        assert.equal(res.statusCode, 401);
      });
      it('refuses changes from another origin', async () => {
        const res = await send(
          'POST',
          `/api/incidents/${INCIDENT}/feedback`,
          { verdict: 'TruePositive' },
          { origin: 'https://evil.example' },
        );
        assert.equal(res.statusCode, 403);
        assert.equal(res.json<{ error: string }>().error, 'dashboard-origin');
      });
      it('refuses changes that are not JSON (what a cross-site form can send)', async () => {
        const res = await d.server.app.inject({
          method: 'POST',
          url: `/api/incidents/${INCIDENT}/feedback`,
          headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' },
          payload: 'verdict=FalsePositive',
        });
        assert.equal(res.statusCode, 415);
      });
      it('sends security headers and no CORS grant', async () => {
        const res = await get('/api/session');
        assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
        assert.equal(res.headers['access-control-allow-origin'], undefined);
      });
    });

    it('tells the session its permissions and the clock', async () => {
      const s = (await get('/api/session')).json<{
        user: string;
        permissions: Record<string, boolean>;
        now: number;
      }>();
      assert.equal(s.user, 'tester');
      assert.equal(s.now, NOW);
      assert.equal(s.permissions.reveal, true);
    });

    it('summarizes traffic, talkers and incidents in the overview', async () => {
      const o = (await get('/api/overview')).json<{
        topTalkers: { entity: string; flows: number; maxThreat: number }[];
        incidents: { counts: Record<string, number>; active: { key: string }[] };
        flowsPerSecond: number;
      }>();
      assert.equal(o.topTalkers[0]?.entity, 'shop/api');
      assert.equal(o.topTalkers[0]?.flows, 1000);
      assert.ok(Math.abs((o.topTalkers[0]?.maxThreat ?? 0) - 0.91) < 1e-6);
      assert.equal(o.incidents.counts.Open, 1);
      assert.deepEqual(
        o.incidents.active.map((i) => i.key),
        [INCIDENT],
      );
      assert.ok(o.flowsPerSecond > 0);
    });

    it('serves chart series with scores per step', async () => {
      const s = (await get('/api/series?scope=cluster&span=600000')).json<{
        traffic: { flows: number[] };
        scores: { threat: (number | null)[] };
      }>();
      assert.equal(s.traffic.flows.at(-1), 100);
      assert.ok(s.scores.threat.some((x) => x !== null && Math.abs(x - 0.91) < 1e-6));
    });

    it('builds the connection graph from the busiest peers', async () => {
      const g = (await get('/api/graph?span=600000')).json<{
        nodes: { id: string }[];
        edges: { source: string; target: string; flows: number }[];
      }>();
      assert.deepEqual(g.edges, [{ source: 'shop/api', target: 'shop/cart', flows: 600, bytes: 30000 }]);
      assert.deepEqual(g.nodes.map((n) => n.id).sort(), ['shop/api', 'shop/cart']);
    });

    it('shows an incident with its timeline', async () => {
      const res = await get(`/api/incidents/${INCIDENT}`);
      assert.equal(res.statusCode, 200);
      const body = res.json<{ incident: { entity: { key: string } }; timeline: { threat: number }[] }>();
      assert.equal(body.incident.entity.key, 'shop/api');
      assert.equal(body.timeline.length, 2);
      assert.equal((await get('/api/incidents/shop/nope')).statusCode, 404);
    });

    it('stores a false positive, reverts the incident and raises the entity bar', async () => {
      const res = await send('POST', `/api/incidents/${INCIDENT}/feedback`, {
        verdict: 'FalsePositive',
        note: 'load test',
      });
      assert.equal(res.statusCode, 200);
      const after = (await get(`/api/incidents/${INCIDENT}`)).json<{
        incident: { verdict: string; phase: string; status: { actions: { type: string; state: string }[] } };
        feedback: { verdict: string; note?: string }[];
      }>();
      assert.equal(after.incident.verdict, 'FalsePositive');
      assert.equal(after.incident.phase, 'Released');
      assert.deepEqual(
        after.incident.status.actions.map((a) => a.state),
        ['Reverted'],
      );
      assert.deepEqual(after.feedback, [
        {
          incident: INCIDENT,
          kind: 'source',
          entity: 'shop/api',
          verdict: 'FalsePositive',
          note: 'load test',
        },
      ]);
      const { rows } = await d.db.query<{ offset_: number }>(
        `SELECT offset_ FROM entity_thresholds WHERE entity = 'shop/api'`,
      );
      assert.ok(Math.abs((rows[0]?.offset_ ?? 0) - 0.1) < 1e-6);
      assert.equal(
        (await send('POST', `/api/incidents/${INCIDENT}/feedback`, { verdict: 'Maybe' })).statusCode,
        400,
      );
    });

    it('creates, edits and deletes alert rules', async () => {
      const rule = {
        policy: 'shop/default',
        name: 'busy-api',
        entity: 'shop/*',
        metric: 'flows',
        threshold: 50,
        count: 2,
        windowSeconds: 300,
        severity: 'warning',
      };
      const created = await send('POST', '/api/rules', rule);
      assert.equal(created.statusCode, 201);
      assert.equal(created.json<{ rule: { id: string } }>().rule.id, 'shop/default/busy-api');
      assert.equal((await send('POST', '/api/rules', rule)).statusCode, 409);
      assert.equal(
        (await send('POST', '/api/rules', { ...rule, name: 'x2', metric: 'nonsense' })).statusCode,
        400,
      );
      assert.equal(
        (await send('POST', '/api/rules', { ...rule, name: 'x3', policy: 'prod/other' })).statusCode,
        400,
      );
      const edited = await send('PUT', '/api/rules/shop/default/busy-api', { ...rule, threshold: 80 });
      assert.equal(edited.json<{ rule: { threshold: number } }>().rule.threshold, 80);
      const list = (await get('/api/rules')).json<{
        rules: { id: string; threshold: number }[];
        metrics: string[];
      }>();
      assert.deepEqual(
        list.rules.map((r) => [r.id, r.threshold]),
        [['shop/default/busy-api', 80]],
      );
      assert.ok(list.metrics.includes('detector:isolation-forest'));
      assert.equal((await send('DELETE', '/api/rules/shop/default/busy-api')).statusCode, 204);
      assert.equal((await send('DELETE', '/api/rules/shop/default/busy-api')).statusCode, 404);
    });

    it('lists, promotes and rolls back model versions', async () => {
      const base = { params: {}, featureSchemaVersion: 1, trainingRows: 10, metrics: { quality: 0.8 } };
      const v1 = await d.registry.saveCandidate({ name: 'source/ocsvm', ...base });
      await d.registry.promote('source/ocsvm', v1);
      const v2 = await d.registry.saveCandidate({ name: 'source/ocsvm', ...base, metrics: { quality: 0.9 } });
      const promoted = await send('POST', '/api/models/source%2Focsvm/promote', { version: v2 });
      assert.equal(promoted.statusCode, 200);
      assert.equal(promoted.json<{ versions: Record<string, number> }>().versions['source/ocsvm'], v2);
      const rolled = await send('POST', '/api/models/source%2Focsvm/rollback', {});
      assert.deepEqual(rolled.json<{ from: number; to: number }>(), {
        from: v2,
        to: v1,
        versions: { 'source/ocsvm': v1 },
      });
      assert.equal((await send('POST', '/api/models/source%2Focsvm/rollback', {})).statusCode, 409);
      const models = (await get('/api/models')).json<{
        models: { name: string; active: number; versions: unknown[] }[];
      }>();
      assert.deepEqual(
        models.models.map((m) => [m.name, m.active, m.versions.length]),
        [['source/ocsvm', v1, 2]],
      );
    });

    it('reveals tokens to those allowed', async () => {
      const token = d.anonymizer.anonymize('10.1.2.3');
      const res = await send('POST', '/api/reveal', { tokens: [token, 'nonsense'] });
      assert.deepEqual(res.json(), { addresses: { [token]: '10.1.2.3' } });
    });

    it('streams live ticks over server-sent events', async () => {
      const port = await d.server.listen({ host: '127.0.0.1', port: 0 });
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${port}/api/stream`, {
        headers: auth,
        signal: controller.signal,
      });
      assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = '';
      while (!text.includes('event: tick')) text += (await reader.read()).value ?? '';
      controller.abort();
      const data = /event: tick\ndata: (.*)\n/.exec(text)?.[1];
      assert.equal((JSON.parse(data ?? '{}') as { now?: number }).now, NOW);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/stream`)).status, 401);
    });
  });
}

describe('dashboard permissions', () => {
  it('refuses what the principal may not do, per permission', async () => {
    const denied = new Set<Permission>(['feedback', 'rules']);
    const access: AccessControl = {
      authenticate: (t) => Promise.resolve(t === TOKEN ? { name: 'viewer', groups: [] } : undefined),
      allowed: (_p, permission) => Promise.resolve(!denied.has(permission)),
    };
    const d = await testDashboard('pglite', { access });
    try {
      await seed(d);
      const post = (url: string, payload: unknown) =>
        d.server.app.inject({
          method: 'POST',
          url,
          headers: { ...auth, 'content-type': 'application/json' },
          payload: JSON.stringify(payload),
        });
      assert.equal(
        (await post(`/api/incidents/${INCIDENT}/feedback`, { verdict: 'TruePositive' })).statusCode,
        403,
      );
      assert.equal(
        (
          await post('/api/rules', {
            policy: 'shop/default',
            name: 'r',
            metric: 'threat',
            threshold: 0.5,
            windowSeconds: 60,
          })
        ).statusCode,
        403,
      );
      assert.equal((await post(`/api/incidents/${INCIDENT}/release`, {})).statusCode, 200);
      const s = (await d.server.app.inject({ method: 'GET', url: '/api/session', headers: auth })).json<{
        permissions: Record<string, boolean>;
      }>();
      assert.deepEqual(s.permissions, {
        read: true,
        feedback: false,
        approve: true,
        reveal: true,
        rules: false,
        models: true,
      });
    } finally {
      await d.close();
    }
  });
});
