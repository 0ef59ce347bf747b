/**
 * Kubernetes Events for the controller's decisions (`kubectl describe threatincident` shows
 * them). Best effort, like client-go's recorder: recording never blocks or fails a reconcile.
 * Repeats of the same event on the same object are folded into one Event with a count.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../observability/logger.js';
import type { KubeClient, KubeObject } from './client.js';
import { isAlreadyExists, isNotFound } from './errors.js';
import { RESOURCES } from './resources.js';

export interface Involved {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

interface EventObject extends KubeObject {
  count?: number;
  lastTimestamp?: string;
}

const MAX_IN_FLIGHT = 200;
const REMEMBER = 2000;

export class EventRecorder {
  private readonly counts = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly client: KubeClient,
    private readonly options: { component: string; instance: string; logger: Logger; now?: () => number },
  ) {}

  record(obj: Involved, type: 'Normal' | 'Warning', reason: string, message: string): void {
    if (this.inFlight.size >= MAX_IN_FLIGHT) {
      this.options.logger.debug(`dropping event ${reason} on ${obj.metadata?.name}: too many in flight`);
      return;
    }
    const p = this.write(obj, type, reason, message)
      .catch((err: unknown) => {
        this.options.logger.debug(`event ${reason} on ${obj.metadata?.name} not recorded: ${String(err)}`);
      })
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /** Waits for the events recorded so far (tests, shutdown). */
  async flush(): Promise<void> {
    await Promise.all([...this.inFlight]);
  }

  private async write(obj: Involved, type: string, reason: string, message: string): Promise<void> {
    const namespace = obj.metadata?.namespace ?? 'default';
    const involvedName = obj.metadata?.name ?? '';
    const hash = createHash('sha256')
      .update(`${obj.metadata?.uid ?? involvedName}\0${reason}\0${message}`)
      .digest('hex')
      .slice(0, 16);
    const name = `${involvedName.slice(0, 200)}.${hash}`;
    const key = `${namespace}/${name}`;
    const now = new Date(this.options.now?.() ?? Date.now()).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const seen = this.counts.get(key);
    if (seen !== undefined) {
      try {
        await this.bump(namespace, name, key, seen + 1, now);
        return;
      } catch (err) {
        // Events expire (an hour by default): start a new one.
        if (!isNotFound(err)) throw err;
        this.counts.delete(key);
      }
    }
    try {
      await this.client.create<EventObject>(RESOURCES.events, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: obj.apiVersion,
          kind: obj.kind,
          name: involvedName,
          namespace,
          uid: obj.metadata?.uid,
        },
        reason,
        message: message.slice(0, 1000),
        type,
        source: { component: this.options.component },
        reportingComponent: this.options.component,
        reportingInstance: this.options.instance,
        firstTimestamp: now,
        lastTimestamp: now,
        count: 1,
      } as EventObject);
      this.remember(key, 1);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
      const existing = await this.client.get<EventObject>(RESOURCES.events, namespace, name);
      await this.bump(namespace, name, key, (existing.count ?? 1) + 1, now);
    }
  }

  private async bump(
    namespace: string,
    name: string,
    key: string,
    count: number,
    now: string,
  ): Promise<void> {
    this.remember(key, count);
    await this.client.patch(RESOURCES.events, namespace, name, { count, lastTimestamp: now });
  }

  private remember(key: string, count: number): void {
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > REMEMBER) this.counts.delete(this.counts.keys().next().value!);
  }
}
