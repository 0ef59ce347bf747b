/**
 * Decision events for enforcers outside the cluster (gateways, firewalls, a service mesh):
 * every change of a RateLimit, Block or Quarantine action is published as JSON on
 * `<prefix>.<namespace>`. They need real addresses to act, so the event carries the address
 * behind each token — the decisions subject is for trusted enforcers only (docs/adr/0007).
 */
import type { NatsConnection } from 'nats';
import type { Logger } from '../../observability/logger.js';
import type { DecisionEvent } from './types.js';

export function decisionSubject(prefix: string, namespace: string): string {
  return `${prefix}.${namespace.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

export class DecisionPublisher {
  constructor(
    private readonly nats: NatsConnection | undefined,
    private readonly prefix: string,
    private readonly logger: Logger,
  ) {}

  publish(event: DecisionEvent): void {
    if (!this.nats || this.nats.isClosed()) {
      this.logger.debug(`decision for ${event.incident} not published: NATS is not connected`);
      return;
    }
    try {
      this.nats.publish(decisionSubject(this.prefix, event.namespace), JSON.stringify(event));
    } catch (err) {
      this.logger.warn(
        `decision for ${event.incident} not published: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }
}
