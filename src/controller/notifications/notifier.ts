/**
 * Sends incident alerts to a policy's notification targets, off the reconcile path:
 * - de-duplication: the same alert (incident, action, state, time) goes to a target once per
 *   `dedupeSeconds`, however often reconciles repeat it;
 * - a token-bucket rate limit per target (`ratePerMinute`, `burst`): alerts beyond it are
 *   dropped and counted, never queued without bound;
 * - retries with capped backoff for failures that can pass (network, 5xx, 429), up to
 *   `maxAttempts`; a 4xx is final.
 */
import type { NatsConnection } from 'nats';
import type { ControllerConfig } from '../../config/controller-schema.js';
import type { Logger } from '../../observability/logger.js';
import { counter, type Registry } from '../../observability/metrics.js';
import { retry, systemClock, type Clock } from '../../util/backoff.js';
import type { NotificationTarget } from '../threatpolicy/crd-types.js';
import type { SecretReader } from './secrets.js';
import { SendError, sendAlertmanager, sendNats, sendWebhook, type Fetch } from './senders.js';
import { SEVERITY_RANK, type IncidentAlert } from './types.js';

export interface NotifierDeps {
  config: ControllerConfig['notifications'];
  secrets: SecretReader;
  nats?: NatsConnection;
  logger: Logger;
  registry: Registry;
  clock?: Clock;
  fetch?: Fetch;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class Notifier {
  private readonly sent = new Map<string, number>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly clock: Clock;
  private readonly results;

  constructor(private readonly deps: NotifierDeps) {
    this.clock = deps.clock ?? systemClock;
    this.results = counter(
      deps.registry,
      'foresight_controller_notifications_total',
      'Notifications by target kind and result',
      ['kind', 'result'],
    );
  }

  /** Queues the alert for every target of the policy that wants its severity. Never throws. */
  notify(
    namespace: string,
    policy: string,
    targets: readonly NotificationTarget[],
    alert: IncidentAlert,
  ): void {
    for (const target of targets) {
      if (SEVERITY_RANK[alert.severity] < SEVERITY_RANK[target.minSeverity ?? 'warning']) continue;
      const kind = target.alertmanager ? 'alertmanager' : target.webhook ? 'webhook' : 'nats';
      const targetKey = `${namespace}/${policy}/${target.name}`;
      const now = this.clock.now();
      const dedupeKey = `${targetKey}|${alert.key}`;
      const last = this.sent.get(dedupeKey);
      if (last !== undefined && now - last < this.deps.config.dedupeSeconds * 1000) {
        this.results.inc({ kind, result: 'deduplicated' });
        continue;
      }
      if (!this.take(targetKey, now)) {
        this.results.inc({ kind, result: 'rate-limited' });
        this.deps.logger.debug(`notification to ${targetKey} dropped: rate limit`);
        continue;
      }
      this.sent.set(dedupeKey, now);
      this.prune(now);
      const p = this.deliver(namespace, target, kind, alert).finally(() => this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  /** Waits for the notifications under way (tests, shutdown). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private async deliver(
    namespace: string,
    target: NotificationTarget,
    kind: string,
    alert: IncidentAlert,
  ): Promise<void> {
    const { config } = this.deps;
    try {
      await retry(() => this.send(namespace, target, alert), {
        ...config.retry,
        maxAttempts: config.maxAttempts,
        clock: this.clock,
        retryable: (err) => !(err instanceof SendError) || err.retryable,
      });
      this.results.inc({ kind, result: 'sent' });
    } catch (err) {
      this.results.inc({ kind, result: 'failed' });
      this.deps.logger.warn(
        `notification ${target.name} (${namespace}) failed: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  private async send(namespace: string, target: NotificationTarget, alert: IncidentAlert): Promise<void> {
    const fetchFn = this.deps.fetch ?? fetch;
    const timeout = this.deps.config.timeoutMs;
    if (target.alertmanager) {
      const ref = target.alertmanager.basicAuthSecretRef;
      let auth: { username: string; password: string } | undefined;
      if (ref) {
        const data = await this.deps.secrets.read(namespace, ref.name);
        auth = {
          username: data[ref.usernameKey ?? 'username'] ?? '',
          password: data[ref.passwordKey ?? 'password'] ?? '',
        };
      }
      await sendAlertmanager(fetchFn, target.alertmanager, alert, auth, timeout);
    } else if (target.webhook) {
      const ref = target.webhook.headersSecretRef;
      const headers = ref ? await this.deps.secrets.read(namespace, ref.name) : {};
      await sendWebhook(fetchFn, target.webhook, alert, headers, timeout);
    } else if (target.nats) {
      sendNats(this.deps.nats, target.nats.subject, alert);
    }
  }

  private take(key: string, now: number): boolean {
    const { ratePerMinute, burst } = this.deps.config;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 60_000) * ratePerMinute);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private prune(now: number): void {
    if (this.sent.size < 10_000) return;
    const horizon = this.deps.config.dedupeSeconds * 1000;
    for (const [k, at] of this.sent) if (now - at >= horizon) this.sent.delete(k);
  }
}
