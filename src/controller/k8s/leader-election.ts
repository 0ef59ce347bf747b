/**
 * Leader election on a coordination.k8s.io/v1 Lease, as client-go does it: a candidate takes the
 * lease when it is free or its holder has not renewed it for leaseDuration (measured on this
 * process's clock from when it last saw the lease change, so clock skew between nodes does not
 * matter); the leader renews every retryPeriod and steps down when it could not renew for
 * renewDeadline. Writes carry the lease's resourceVersion, so two candidates cannot both win.
 *
 * While leading, `run` calls `lead(signal)`; the signal aborts when leadership is lost or on
 * shutdown, and `lead` must then stop acting. After losing it, the elector campaigns again: an
 * API server outage longer than renewDeadline costs leadership, not the process.
 */
import type { Logger } from '../../observability/logger.js';
import { systemClock, type Clock } from '../../util/backoff.js';
import type { KubeClient, KubeObject } from './client.js';
import { isKubeError } from './errors.js';
import { RESOURCES } from './resources.js';

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectorOptions {
  client: KubeClient;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
  clock?: Clock;
  onChange?: (leading: boolean) => void;
}

/** Kubernetes MicroTime: RFC 3339 with exactly six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export class LeaderElector {
  private observed?: { record: string; at: number };
  private leading = false;
  private readonly clock: Clock;

  constructor(private readonly options: LeaderElectorOptions) {
    this.clock = options.clock ?? systemClock;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Campaigns, leads and campaigns again until `signal` aborts; then releases the lease. */
  async run(signal: AbortSignal, lead: (leading: AbortSignal) => Promise<void>): Promise<void> {
    const { logger, retryPeriodMs } = this.options;
    while (!signal.aborted) {
      if (!(await this.tryAcquireOrRenew())) {
        await this.sleep(retryPeriodMs * (1 + Math.random() * 0.2), signal);
        continue;
      }
      logger.info(`became leader (lease ${this.options.namespace}/${this.options.name})`);
      this.setLeading(true);
      const term = new AbortController();
      const onStop = () => term.abort();
      signal.addEventListener('abort', onStop, { once: true });
      const work = lead(term.signal).catch((err: unknown) => {
        logger.error(`leader work failed: ${err instanceof Error ? err.message : String(err)}`);
        term.abort();
      });
      await this.renewWhileLeading(term.signal);
      if (!signal.aborted) logger.warn('lost leadership: stopping work and campaigning again');
      term.abort();
      signal.removeEventListener('abort', onStop);
      await work;
      this.setLeading(false);
    }
    await this.release();
  }

  private async renewWhileLeading(term: AbortSignal): Promise<void> {
    const { renewDeadlineMs, retryPeriodMs } = this.options;
    let lastRenew = this.clock.now();
    while (!term.aborted) {
      await this.sleep(retryPeriodMs, term);
      if (term.aborted) return;
      if (await this.tryAcquireOrRenew()) lastRenew = this.clock.now();
      else if (this.clock.now() - lastRenew >= renewDeadlineMs) return;
    }
  }

  /** One attempt; true when this process holds the lease afterwards. Errors count as "no". */
  async tryAcquireOrRenew(): Promise<boolean> {
    const { client, namespace, name, identity, leaseDurationMs, logger } = this.options;
    const now = this.clock.now();
    const durationSeconds = Math.max(1, Math.round(leaseDurationMs / 1000));
    try {
      const lease = await client.find<Lease>(RESOURCES.leases, namespace, name);
      if (!lease) {
        await client.create<Lease>(RESOURCES.leases, {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name, namespace },
          spec: {
            holderIdentity: identity,
            leaseDurationSeconds: durationSeconds,
            acquireTime: microTime(now),
            renewTime: microTime(now),
            leaseTransitions: 0,
          },
        });
        this.observed = undefined;
        return true;
      }
      const spec = lease.spec ?? {};
      const record = JSON.stringify([spec.holderIdentity, spec.renewTime, spec.leaseDurationSeconds]);
      if (this.observed?.record !== record) this.observed = { record, at: now };
      const holder = spec.holderIdentity ?? '';
      const heldMs = (spec.leaseDurationSeconds ?? durationSeconds) * 1000;
      const expired = holder === '' || this.observed.at + heldMs <= now;
      if (holder !== identity && !expired) return false;
      const mine = holder === identity;
      await client.replace<Lease>(RESOURCES.leases, {
        ...lease,
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds: durationSeconds,
          acquireTime: mine && spec.acquireTime ? spec.acquireTime : microTime(now),
          renewTime: microTime(now),
          leaseTransitions: (spec.leaseTransitions ?? 0) + (mine ? 0 : 1),
        },
      });
      return true;
    } catch (err) {
      if (!isKubeError(err, 'k8s-conflict', 'k8s-already-exists')) {
        logger.debug(`lease ${namespace}/${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
      return false;
    }
  }

  /** Hands the lease back so a successor need not wait out leaseDuration. */
  private async release(): Promise<void> {
    const { client, namespace, name, identity } = this.options;
    try {
      const lease = await client.find<Lease>(RESOURCES.leases, namespace, name);
      if (!lease || lease.spec?.holderIdentity !== identity) return;
      await client.replace<Lease>(RESOURCES.leases, {
        ...lease,
        spec: {
          ...lease.spec,
          holderIdentity: '',
          leaseDurationSeconds: 1,
          renewTime: microTime(this.clock.now()),
        },
      });
      this.options.logger.info('released the leader lease');
    } catch {
      // The lease then simply expires.
    }
  }

  private setLeading(leading: boolean): void {
    this.leading = leading;
    this.options.onChange?.(leading);
  }

  private async sleep(ms: number, signal: AbortSignal): Promise<void> {
    try {
      await this.clock.sleep(ms, signal);
    } catch {
      // Aborted: the caller checks the signal.
    }
  }
}
