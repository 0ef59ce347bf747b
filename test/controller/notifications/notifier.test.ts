/**
 * Notifications against small real HTTP servers (Alertmanager's v2 API, a webhook) and real
 * NATS: payloads and credentials, retry with backoff on 5xx, no retry on 4xx, de-duplication,
 * the per-target rate limit and severity filtering.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type Msg, type NatsConnection } from 'nats';
import { controllerSchema } from '../../../src/config/controller-schema.js';
import { Notifier } from '../../../src/controller/notifications/notifier.js';
import type { SecretReader } from '../../../src/controller/notifications/secrets.js';
import type { IncidentAlert } from '../../../src/controller/notifications/types.js';
import type { NotificationTarget } from '../../../src/controller/threatpolicy/crd-types.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { startHttpSink, type HttpSink } from '../support/http-sink.js';
import { eventually } from '../support/wait.js';

const secrets: SecretReader = {
  read: (ns, name) => {
    if (ns === 'shop' && name === 'am-auth')
      return Promise.resolve({ username: 'foresight', password: 'pw' });
    if (ns === 'shop' && name === 'hook')
      return Promise.resolve({ authorization: 'Bearer t0k', 'x-team': 'soc' });
    return Promise.reject(new Error(`no secret ${ns}/${name}`));
  },
};

function alert(over: Partial<IncidentAlert> = {}): IncidentAlert {
  return {
    key: 'shop/i1/Block/Active/2026-01-05T10:00:00.000Z',
    incident: 'shop/i1',
    namespace: 'shop',
    policy: 'guard',
    entity: 'ip:t4:0a0b0c0d',
    action: 'Block',
    state: 'Active',
    severity: 'critical',
    score: 0.91,
    summary: 'Block active for ip:t4:0a0b0c0d (shop/guard)',
    description: 'addresses blocked',
    startsAt: Date.parse('2026-01-05T10:00:00Z'),
    ...over,
  };
}

function notifier(nats?: NatsConnection, overrides: Record<string, unknown> = {}) {
  const registry = createRegistry({ defaultMetrics: false });
  const config = controllerSchema.parse({
    notifications: { retry: { initialMs: 10, maxMs: 20 }, maxAttempts: 3, ...overrides },
  }).notifications;
  return {
    n: new Notifier({ config, secrets, ...(nats ? { nats } : {}), logger: silentLogger(), registry }),
    registry,
  };
}

describe('[integration] notifications', () => {
  let sink: HttpSink;
  let nats: NatsConnection;

  before(async () => {
    sink = await startHttpSink();
    nats = await connect({ servers: 'nats://127.0.0.1:4222' });
  });
  after(async () => {
    await sink.close();
    await nats.drain();
  });

  it('posts to Alertmanager v2 with basic auth, and resolves with the same labels', async () => {
    sink.received.length = 0;
    const { n } = notifier();
    const target: NotificationTarget = {
      name: 'am',
      minSeverity: 'warning',
      alertmanager: {
        url: `${sink.url}/`,
        basicAuthSecretRef: { name: 'am-auth', usernameKey: 'username', passwordKey: 'password' },
      },
    };
    n.notify('shop', 'guard', [target], alert());
    n.notify(
      'shop',
      'guard',
      [target],
      alert({ key: 'shop/i1/Block/Expired/x', state: 'Expired', endsAt: Date.parse('2026-01-05T10:30:00Z') }),
    );
    await n.flush();
    assert.equal(sink.received.length, 2);
    const firing = sink.received[0]!;
    const resolved = sink.received[1]!;
    assert.equal(firing.path, '/api/v2/alerts');
    assert.equal(firing.headers.authorization, `Basic ${Buffer.from('foresight:pw').toString('base64')}`);
    const [a] = firing.body as [{ labels: Record<string, string>; startsAt: string; endsAt?: string }];
    assert.deepEqual(a.labels, {
      alertname: 'ForesightThreat',
      severity: 'critical',
      namespace: 'shop',
      incident: 'i1',
      policy: 'guard',
      action: 'Block',
      entity: 'ip:t4:0a0b0c0d',
    });
    assert.equal(a.startsAt, '2026-01-05T10:00:00.000Z');
    assert.equal(a.endsAt, undefined);
    const [r] = resolved.body as [{ labels: Record<string, string>; endsAt: string }];
    assert.deepEqual(r.labels, a.labels);
    assert.equal(r.endsAt, '2026-01-05T10:30:00.000Z');
  });

  it('retries a webhook that fails with 503 and sends the headers from its Secret', async () => {
    sink.received.length = 0;
    sink.script = [503, 503];
    const { n, registry } = notifier();
    n.notify(
      'shop',
      'guard',
      [
        {
          name: 'hook',
          minSeverity: 'warning',
          webhook: { url: `${sink.url}/hook`, headersSecretRef: { name: 'hook' } },
        },
      ],
      alert(),
    );
    await n.flush();
    assert.equal(sink.received.length, 3);
    const last = sink.received[2]!;
    assert.equal(last.headers.authorization, 'Bearer t0k');
    assert.equal(last.headers['x-team'], 'soc');
    assert.equal((last.body as { status: string }).status, 'firing');
    assert.match(
      await registry.metrics(),
      /foresight_controller_notifications_total\{kind="webhook",result="sent"\} 1/,
    );
  });

  it('does not retry a webhook that answers 400', async () => {
    sink.received.length = 0;
    sink.script = [400];
    const { n, registry } = notifier();
    n.notify(
      'shop',
      'guard',
      [{ name: 'hook', minSeverity: 'warning', webhook: { url: `${sink.url}/hook` } }],
      alert(),
    );
    await n.flush();
    assert.equal(sink.received.length, 1);
    assert.match(
      await registry.metrics(),
      /foresight_controller_notifications_total\{kind="webhook",result="failed"\} 1/,
    );
  });

  it('sends one alert once however often it is notified, and rate-limits each target', async () => {
    sink.received.length = 0;
    const { n, registry } = notifier(undefined, { burst: 2, ratePerMinute: 1 });
    const target: NotificationTarget = {
      name: 'hook',
      minSeverity: 'info',
      webhook: { url: `${sink.url}/hook` },
    };
    for (let i = 0; i < 3; i++) n.notify('shop', 'guard', [target], alert());
    for (let i = 0; i < 4; i++) n.notify('shop', 'guard', [target], alert({ key: `other-${i}` }));
    await n.flush();
    assert.equal(sink.received.length, 2);
    const text = await registry.metrics();
    assert.match(text, /result="deduplicated"\} 2/);
    assert.match(text, /result="rate-limited"\} 3/);
  });

  it('filters by severity and publishes on a NATS subject', async () => {
    const subject = `t${process.pid}.alerts.shop`;
    const got: unknown[] = [];
    const sub = nats.subscribe(subject, { callback: (_e, m: Msg) => got.push(m.json()) });
    const { n } = notifier(nats);
    const target: NotificationTarget = { name: 'bus', minSeverity: 'critical', nats: { subject } };
    n.notify('shop', 'guard', [target], alert({ severity: 'warning', key: 'low' }));
    n.notify('shop', 'guard', [target], alert());
    await n.flush();
    await eventually(() => got.length >= 1);
    await nats.flush();
    assert.equal(got.length, 1);
    assert.equal((got[0] as { severity: string }).severity, 'critical');
    sub.unsubscribe();
  });
});
