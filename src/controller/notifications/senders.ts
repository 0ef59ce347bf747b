/**
 * One function per kind of notification target, with its payload built by a pure function:
 * Alertmanager's v2 API (POST /api/v2/alerts, firing and resolved alerts share their labels so
 * Alertmanager pairs them), a generic JSON webhook, and a NATS subject. A send throws
 * SendError; `retryable` says whether trying again can help (network, 5xx, 429) or not (4xx).
 */
import type { NatsConnection } from 'nats';
import { ForesightError } from '../../errors.js';
import type { AlertmanagerTarget, WebhookTarget } from '../threatpolicy/crd-types.js';
import type { IncidentAlert } from './types.js';

export class SendError extends ForesightError {
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super('notification-failed', message, options);
  }
}

export function alertmanagerPayload(alert: IncidentAlert): Record<string, unknown>[] {
  return [
    {
      labels: {
        alertname: 'ForesightThreat',
        severity: alert.severity,
        namespace: alert.namespace,
        incident: alert.incident.split('/')[1] ?? alert.incident,
        policy: alert.policy,
        action: alert.action,
        entity: alert.entity,
      },
      annotations: {
        summary: alert.summary,
        description: alert.description,
        score: alert.score.toFixed(3),
        state: alert.state,
      },
      startsAt: new Date(alert.startsAt).toISOString(),
      ...(alert.endsAt !== undefined ? { endsAt: new Date(alert.endsAt).toISOString() } : {}),
    },
  ];
}

export function webhookPayload(alert: IncidentAlert): Record<string, unknown> {
  return {
    version: 1,
    kind: 'foresight.alert',
    status: alert.endsAt !== undefined ? 'resolved' : 'firing',
    incident: alert.incident,
    namespace: alert.namespace,
    policy: alert.policy,
    entity: alert.entity,
    action: alert.action,
    state: alert.state,
    severity: alert.severity,
    score: alert.score,
    summary: alert.summary,
    description: alert.description,
    startsAt: new Date(alert.startsAt).toISOString(),
    ...(alert.endsAt !== undefined ? { endsAt: new Date(alert.endsAt).toISOString() } : {}),
  };
}

export type Fetch = typeof fetch;

async function post(
  fetchFn: Fetch,
  url: string,
  body: unknown,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  let res: Response;
  try {
    res = await fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new SendError(`POST ${url}: ${(err as Error).message}`, true, { cause: err });
  }
  // Drain the body so the connection can be reused.
  const text = await res.text().catch(() => '');
  if (res.ok) return;
  throw new SendError(
    `POST ${url}: ${res.status} ${text.slice(0, 200)}`,
    res.status >= 500 || res.status === 429,
  );
}

export async function sendAlertmanager(
  fetchFn: Fetch,
  target: AlertmanagerTarget,
  alert: IncidentAlert,
  auth: { username: string; password: string } | undefined,
  timeoutMs: number,
): Promise<void> {
  const url = `${target.url.replace(/\/+$/, '')}/api/v2/alerts`;
  const headers: Record<string, string> = {};
  if (auth)
    headers.authorization = `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
  await post(fetchFn, url, alertmanagerPayload(alert), headers, timeoutMs);
}

export async function sendWebhook(
  fetchFn: Fetch,
  target: WebhookTarget,
  alert: IncidentAlert,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<void> {
  await post(fetchFn, target.url, webhookPayload(alert), headers, timeoutMs);
}

export function sendNats(nc: NatsConnection | undefined, subject: string, alert: IncidentAlert): void {
  if (!nc || nc.isClosed()) throw new SendError(`NATS is not connected (subject ${subject})`, true);
  nc.publish(subject, JSON.stringify(webhookPayload(alert)));
}
