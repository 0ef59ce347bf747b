/**
 * Caps hold across concurrent reconciles: incidents of one policy decide one at a time (a
 * per-policy lock), and each decision sees the others' latest holdings — what this process
 * wrote (the ledger) in preference to the informer cache, which lags its own writes by a watch
 * event. After a restart the ledger is empty and the synced cache is the truth.
 */
import type { ActionStatus, ThreatIncident } from '../threatpolicy/crd-types.js';

export interface Holdings {
  quarantinedPods: number;
  blockedAddresses: number;
}

export function holdingsOf(actions: readonly ActionStatus[] | undefined): Holdings {
  let quarantinedPods = 0;
  let blockedAddresses = 0;
  for (const a of actions ?? []) {
    if (a.state !== 'Active') continue;
    if (a.type === 'Quarantine') quarantinedPods += a.pods?.length ?? 0;
    if (a.type === 'Block') blockedAddresses += a.addresses?.length ?? 0;
  }
  return { quarantinedPods, blockedAddresses };
}

export class CapLedger {
  private readonly written = new Map<string, Holdings>();
  private readonly locks = new Map<string, Promise<void>>();

  /** Holdings of the policy's incidents other than `exclude`. */
  usage(incidents: readonly ThreatIncident[], exclude: string): Holdings {
    const total: Holdings = { quarantinedPods: 0, blockedAddresses: 0 };
    for (const inc of incidents) {
      const key = `${inc.metadata.namespace}/${inc.metadata.name}`;
      if (key === exclude || inc.metadata.deletionTimestamp) continue;
      const h = this.written.get(key) ?? holdingsOf(inc.status?.actions);
      total.quarantinedPods += h.quarantinedPods;
      total.blockedAddresses += h.blockedAddresses;
    }
    return total;
  }

  record(incident: string, actions: readonly ActionStatus[]): void {
    this.written.set(incident, holdingsOf(actions));
  }

  forget(incident: string): void {
    this.written.delete(incident);
  }

  /** Runs `fn` while holding the policy's lock; callers of one policy queue up. */
  async withLock<T>(policy: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(policy) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => mine);
    this.locks.set(policy, chained);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(policy) === chained) this.locks.delete(policy);
    }
  }
}
