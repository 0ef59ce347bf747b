/**
 * The dashboard's copy of the demo's incidents: the Monitor engine (in the demo worker) sends
 * every incident it writes, and lists and lookups are answered here, in memory, with the store's
 * semantics (most recently updated first, then by key; phase and entity filters; limit 1..5000).
 * Incidents are what the overview, the live stream and the incident list poll most; answering
 * them here keeps those polls off the worker's store.
 */
import { ForesightError } from '../../errors.js';
import type { IncidentQuery, StoredIncident } from '../../detector/store/incident-store.js';

export class IncidentMirror {
  private readonly byKey = new Map<string, StoredIncident>();
  private sorted: StoredIncident[] | undefined;

  get size(): number {
    return this.byKey.size;
  }

  apply(incidents: readonly StoredIncident[]): void {
    for (const i of incidents) this.byKey.set(i.key, i);
    if (incidents.length > 0) this.sorted = undefined;
  }

  get(key: string): Promise<StoredIncident> {
    const found = this.byKey.get(key);
    if (!found) return Promise.reject(new ForesightError('incident-not-found', `no incident ${key}`));
    return Promise.resolve(found);
  }

  list(query: IncidentQuery = {}): Promise<StoredIncident[]> {
    this.sorted ??= [...this.byKey.values()].sort(
      (a, b) => b.updatedAt - a.updatedAt || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const limit = Math.max(1, Math.min(query.limit ?? 500, 5000));
    const phases = query.phases ? new Set(query.phases) : undefined;
    const out: StoredIncident[] = [];
    for (const i of this.sorted) {
      if (out.length >= limit) break;
      if (phases && !phases.has(i.status.phase ?? 'Open')) continue;
      if (query.entity && i.spec.entity.key !== query.entity) continue;
      out.push(i);
    }
    return Promise.resolve(out);
  }
}
