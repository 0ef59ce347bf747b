/**
 * Reconciles one ThreatPolicy: builds its network policies (the quarantine deny-all, and the
 * block policies aggregating every Active Block of its incidents) and makes the cluster match,
 * keeps its incidents within their bound and retention, and writes its status once. A policy
 * that is gone takes everything it made with it: owner references let garbage collection do
 * that even while the controller is down; the controller does it at once when it sees the
 * deletion, and for cluster-scoped kinds that garbage collection cannot follow.
 */
import { errorMessage } from '../../errors.js';
import {
  buildBlockPolicies,
  buildQuarantinePolicy,
  enforcementResources,
  type BlockSets,
} from '../actuators/network-policies.js';
import { policyLabelValue } from '../actuators/names.js';
import { incidentsOf, type ControllerContext } from '../context.js';
import { jsonEqual, parseTime, setConditions } from '../k8s/conditions.js';
import type { KubeObject } from '../k8s/client.js';
import { RESOURCES, apiVersionOf, splitKey } from '../k8s/resources.js';
import type { ReconcileResult } from '../k8s/work-queue.js';
import { holdingsOf } from '../incidents/caps.js';
import type { ThreatIncident, ThreatPolicy, ThreatPolicyStatus } from './crd-types.js';
import { syncOwned } from './owned-objects.js';
import { validatePolicy } from './validate.js';

const STATUS_INTERVAL_MS = 1000;

export class PolicyReconciler {
  /** New incidents the intake could not open because of the bound, per policy (for status). */
  readonly dropped = new Map<string, number>();
  private readonly statusWrittenAt = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext) {}

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { namespace, name } = splitKey(key);
    const policy = this.ctx.informers.policies.get(namespace, name);
    if (!policy || policy.metadata.deletionTimestamp) {
      await this.cleanUp(namespace, name);
      return;
    }
    const ctx = this.ctx;
    const now = ctx.now();
    const label = policyLabelValue(name);
    const incidents = incidentsOf(ctx.informers, namespace, name);
    const problems = validatePolicy(policy.spec);

    const desired: KubeObject[] = [];
    if (policy.spec.mode === 'Enforce' && policy.spec.actions.some((s) => s.type === 'Quarantine')) {
      desired.push(buildQuarantinePolicy(policy));
    }
    desired.push(...buildBlockPolicies(policy, this.blocks(incidents), ctx.enforcement));
    try {
      const sync = await syncOwned(
        ctx.client,
        ctx.informers.networkPolicies,
        enforcementResources(ctx.enforcement),
        namespace,
        label,
        desired,
      );
      for (const c of sync.created) ctx.logger.info(`created ${c} for ThreatPolicy ${key}`);
      for (const c of sync.deleted) ctx.logger.info(`deleted ${c} of ThreatPolicy ${key}`);
      // Updates (one more blocked address) are told by the incidents' own events.
      if (sync.created.length + sync.deleted.length > 0) {
        const involved = {
          ...policy,
          apiVersion: apiVersionOf(RESOURCES.threatPolicies),
          kind: 'ThreatPolicy',
        };
        const what = [...sync.created.map((c) => `created ${c}`), ...sync.deleted.map((c) => `deleted ${c}`)];
        ctx.events.record(involved, 'Normal', 'NetworkPoliciesSynced', what.join(', '));
      }
    } catch (err) {
      problems.push(`network policies not in sync: ${errorMessage(err)}`);
    }
    await this.trimIncidents(policy, incidents, now, problems);
    const statusDueIn = await this.writeStatus(policy, incidents, problems, now);
    if (problems.some((p) => p.startsWith('network policies')))
      throw new Error(`${key}: ${problems.join('; ')}`);
    return { requeueAfterMs: Math.min(ctx.config.resyncSeconds * 1000, statusDueIn ?? Infinity) };
  }

  /** Every address an Active Block of the policy's incidents names, revealed, by direction. */
  private blocks(incidents: readonly ThreatIncident[]): BlockSets {
    const sets: BlockSets = { Ingress: [], Egress: [] };
    for (const inc of incidents) {
      if (inc.metadata.deletionTimestamp) continue;
      const block = inc.status?.actions?.find((a) => a.type === 'Block' && a.state === 'Active');
      if (!block?.direction) continue;
      for (const token of block.addresses ?? []) {
        const ip = this.ctx.reveal(token);
        if (ip) sets[block.direction].push({ ip, inCluster: this.ctx.view.podsByIp(ip).length > 0 });
      }
    }
    return sets;
  }

  /** Deletes Expired/Released incidents past retention, and the oldest of them beyond the bound. */
  private async trimIncidents(
    policy: ThreatPolicy,
    incidents: readonly ThreatIncident[],
    now: number,
    problems: string[],
  ): Promise<void> {
    const done = incidents
      .filter(
        (i) =>
          !i.metadata.deletionTimestamp && (i.status?.phase === 'Expired' || i.status?.phase === 'Released'),
      )
      .map((i) => ({
        i,
        seen: parseTime(i.status?.lastSeen) ?? parseTime(i.metadata.creationTimestamp) ?? 0,
      }))
      .sort((a, b) => a.seen - b.seen);
    const { max, retentionSeconds } = policy.spec.incidents;
    let excess = incidents.length - max;
    for (const { i, seen } of done) {
      const expired = now - seen > retentionSeconds * 1000;
      if (!expired && excess <= 0) continue;
      try {
        await this.ctx.client.delete(RESOURCES.threatIncidents, i.metadata.namespace, i.metadata.name ?? '', {
          uid: i.metadata.uid,
        });
        excess--;
      } catch (err) {
        problems.push(`incident ${i.metadata.name} not deleted: ${errorMessage(err)}`);
      }
    }
  }

  /**
   * Writes the status when it changed. Counts alone (busy policies change them many times a
   * second) are written at most once per STATUS_INTERVAL_MS; returns when the deferred write is due.
   */
  private async writeStatus(
    policy: ThreatPolicy,
    incidents: readonly ThreatIncident[],
    problems: string[],
    now: number,
  ): Promise<number | undefined> {
    const ctx = this.ctx;
    const live = incidents.filter((i) => !i.metadata.deletionTimestamp);
    const active = { Alert: 0, RateLimit: 0, Block: 0, Quarantine: 0 };
    let quarantinedPods = 0;
    let blockedSources = 0;
    for (const inc of live) {
      for (const a of inc.status?.actions ?? [])
        if (a.state === 'Active' || a.state === 'Intended') active[a.type]++;
      const h = holdingsOf(inc.status?.actions);
      quarantinedPods += h.quarantinedPods;
      blockedSources += h.blockedAddresses;
    }
    const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
    const enforcing = policy.spec.actions.some((s) => s.type === 'Block')
      ? ctx.enforcement.ingress
      : undefined;
    const degraded = problems.length > 0;
    const next: ThreatPolicyStatus = {
      ...(policy.metadata.generation === undefined ? {} : { observedGeneration: policy.metadata.generation }),
      conditions: setConditions(
        policy.status?.conditions,
        [
          {
            type: 'Ready',
            status: problems.some((p) => p.startsWith('network policies')) ? 'False' : 'True',
            reason: 'Reconciled',
            message: `${policy.spec.mode} mode; blocks via ${ctx.enforcement.ingress.api} (ingress) and ${ctx.enforcement.egress.api} (egress)`,
          },
          {
            type: 'Degraded',
            status: degraded ? 'True' : 'False',
            reason: degraded ? 'Problems' : 'AsExpected',
            message: problems.join('; '),
          },
        ],
        policy.metadata.generation,
        new Date(now),
      ),
      enforcement: enforcing
        ? { api: enforcing.api, limits: enforcing.limits }
        : { api: ctx.enforcement.ingress.api, limits: ctx.enforcement.ingress.limits },
      incidents: {
        total: live.length,
        open: live.filter((i) => i.status?.phase !== 'Expired' && i.status?.phase !== 'Released').length,
        mitigated: live.filter((i) => i.status?.phase === 'Mitigated').length,
        dropped: this.dropped.get(key) ?? 0,
      },
      blockedSources,
      quarantinedPods,
      activeActions: active,
    };
    const current = policy.status ?? {};
    if (jsonEqual(next, current)) return undefined;
    const pick = (s: ThreatPolicyStatus) => [s.observedGeneration, s.conditions, s.enforcement];
    const last = this.statusWrittenAt.get(key) ?? 0;
    if (jsonEqual(pick(next), pick(current)) && now - last < STATUS_INTERVAL_MS)
      return STATUS_INTERVAL_MS - (now - last);
    await ctx.client.patch(
      RESOURCES.threatPolicies,
      policy.metadata.namespace,
      policy.metadata.name ?? '',
      { status: next },
      { subresource: 'status' },
    );
    this.statusWrittenAt.set(key, now);
    return undefined;
  }

  /** The policy is gone: delete its network policies and incidents now (finalizers restore pods). */
  private async cleanUp(namespace: string, name: string): Promise<void> {
    const ctx = this.ctx;
    this.dropped.delete(`${namespace}/${name}`);
    this.statusWrittenAt.delete(`${namespace}/${name}`);
    await syncOwned(
      ctx.client,
      ctx.informers.networkPolicies,
      enforcementResources(ctx.enforcement),
      namespace,
      policyLabelValue(name),
      [],
    );
    for (const inc of incidentsOf(ctx.informers, namespace, name)) {
      if (inc.metadata.deletionTimestamp) continue;
      await ctx.client.delete(RESOURCES.threatIncidents, namespace, inc.metadata.name ?? '', {
        uid: inc.metadata.uid,
      });
    }
  }
}
