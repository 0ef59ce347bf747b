/**
 * Writes verdict observations into ThreatIncidents: creates the incident the first time (one
 * per policy and entity, named from both, so a redelivered verdict finds it), keeps each
 * policy's incidents within its bound, and merge-patches the observation fields of the status.
 * Verdicts about one incident arriving within `coalesceMs` (or while its previous write is in
 * flight) become one write; writes to different incidents run in parallel up to a limit.
 * submit() resolves once the observation is durable: only then is the verdict acked.
 */
import type { Logger } from '../../observability/logger.js';
import { policyLabelValue } from '../actuators/names.js';
import { managedLabels } from '../actuators/names.js';
import { incidentsOf, type ControllerContext } from '../context.js';
import { isAlreadyExists } from '../k8s/errors.js';
import { RESOURCES, apiVersionOf, controllerRef } from '../k8s/resources.js';
import type { ThreatIncident } from '../threatpolicy/crd-types.js';
import {
  mergeObservation,
  observationPatch,
  type Memo,
  type Merged,
  type Observation,
} from './observation.js';

interface Entry {
  merged?: Merged;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  dueAt: number;
  timer?: NodeJS.Timeout;
}

export type DropHook = (policyKey: string) => void;

const MEMO_LIMIT = 20_000;

export class IncidentWriter {
  private readonly pending = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly ready: string[] = [];
  private readonly memo = new Map<string, Memo>();
  /** Incidents created (or about to be) that the cache may not show yet, per policy: the bound counts them. */
  private readonly reserved = new Map<string, Set<string>>();
  private active = 0;

  constructor(
    private readonly ctx: ControllerContext,
    private readonly options: {
      coalesceMs: number;
      quietMs: number;
      concurrency: number;
      onDrop: DropHook;
      logger: Logger;
    },
  ) {}

  /**
   * Queues an observation. `urgent` ones (a new incident, a threshold crossed for a step not in
   * force, an alert rule firing) are written within `coalesceMs`; the rest (a new score, counts,
   * last seen) may wait up to `quietMs`, so a busy entity costs one write per interval, not one
   * per verdict.
   */
  submit(obs: Observation, urgent = true): Promise<void> {
    const key = `${obs.namespace}/${obs.name}`;
    const dueAt = Date.now() + (urgent ? this.options.coalesceMs : this.options.quietMs);
    let entry = this.pending.get(key);
    if (!entry) {
      entry = { waiters: [], dueAt: Infinity };
      this.pending.set(key, entry);
    }
    entry.merged = mergeObservation(entry.merged, obs);
    const done = new Promise<void>((resolve, reject) => entry.waiters.push({ resolve, reject }));
    if (dueAt < entry.dueAt) {
      const e = entry;
      e.dueAt = dueAt;
      if (e.timer) clearTimeout(e.timer);
      e.timer = setTimeout(
        () => {
          e.timer = undefined;
          this.enqueue(key);
        },
        Math.max(0, dueAt - Date.now()),
      );
      e.timer.unref();
    }
    return done;
  }

  /** Resolves when nothing is pending or being written. */
  async idle(): Promise<void> {
    while (this.pending.size > 0 || this.inFlight.size > 0) {
      await Promise.allSettled([...this.inFlight.values()]);
      if (this.inFlight.size === 0 && this.pending.size > 0)
        await new Promise((r) => setTimeout(r, this.options.coalesceMs + 5));
    }
  }

  private enqueue(key: string): void {
    this.ready.push(key);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.options.concurrency && this.ready.length > 0) {
      const key = this.ready.shift()!;
      const running = this.inFlight.get(key);
      if (running) {
        // One write per incident at a time; the newer observations go after it.
        void running.finally(() => this.enqueue(key));
        continue;
      }
      const entry = this.pending.get(key);
      if (!entry?.merged) continue;
      if (entry.timer) clearTimeout(entry.timer);
      this.pending.delete(key);
      this.active++;
      const p = this.write(key, entry.merged)
        .then(
          () => entry.waiters.forEach((w) => w.resolve()),
          (err: unknown) => entry.waiters.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          this.active--;
          this.inFlight.delete(key);
          this.pump();
        });
      this.inFlight.set(key, p);
    }
  }

  private async write(key: string, m: Merged): Promise<void> {
    const { ctx } = this;
    const { policy, namespace, name, entity } = m.latest;
    let existing = ctx.informers.incidents.get(namespace, name);
    if (!existing) {
      if (!(await this.makeRoom(m))) return;
      const incident: ThreatIncident = {
        apiVersion: apiVersionOf(RESOURCES.threatIncidents),
        kind: 'ThreatIncident',
        metadata: {
          name,
          namespace,
          labels: managedLabels(policy.metadata.name ?? ''),
          ownerReferences: [controllerRef(RESOURCES.threatPolicies, policy)],
        },
        spec: { policyRef: { name: policy.metadata.name ?? '' }, entity, release: false },
      };
      try {
        existing = await ctx.client.create(RESOURCES.threatIncidents, incident);
        ctx.logger.info(`opened ThreatIncident ${key} for ${entity.key} (threat ${m.peak.score.threat})`);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
    const { status, memo } = observationPatch(m, existing, this.memo.get(key));
    await ctx.client.patch(RESOURCES.threatIncidents, namespace, name, { status }, { subresource: 'status' });
    this.remember(key, memo);
  }

  /** Keeps the policy within `incidents.max`: evicts its oldest finished incident, or drops the new one. */
  private async makeRoom(m: Merged): Promise<boolean> {
    const { policy, namespace, name } = m.latest;
    const policyKey = `${namespace}/${policy.metadata.name}`;
    const all = incidentsOf(this.ctx.informers, namespace, policy.metadata.name ?? '').filter(
      (i) => !i.metadata.deletionTimestamp,
    );
    const names = new Set(all.map((i) => i.metadata.name));
    const reserved = this.reserved.get(policyKey) ?? new Set<string>();
    for (const r of reserved) if (names.has(r)) reserved.delete(r);
    this.reserved.set(policyKey, reserved);
    if (all.length + reserved.size < policy.spec.incidents.max) {
      reserved.add(name);
      return true;
    }
    const finished = all
      .filter((i) => i.status?.phase === 'Expired' || i.status?.phase === 'Released')
      .sort((a, b) => (a.status?.lastSeen ?? '').localeCompare(b.status?.lastSeen ?? ''));
    const victim = finished[0];
    if (victim) {
      reserved.add(name);
      await this.ctx.client.delete(RESOURCES.threatIncidents, namespace, victim.metadata.name ?? '', {
        uid: victim.metadata.uid,
      });
      return true;
    }
    this.ctx.metrics.incidentsDropped.inc();
    this.ctx.metrics.verdicts.inc({ result: 'dropped' }, m.count);
    this.options.onDrop(policyKey);
    this.options.logger.warn(
      `ThreatPolicy ${namespace}/${policy.metadata.name} (label ${policyLabelValue(policy.metadata.name ?? '')}) is at its bound of ` +
        `${policy.spec.incidents.max} incidents: ${m.latest.entity.key} not opened`,
    );
    return false;
  }

  private remember(key: string, memo: Memo): void {
    this.memo.delete(key);
    this.memo.set(key, memo);
    if (this.memo.size > MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value!);
  }
}
