/**
 * Reconciles one ThreatIncident: re-reads it, its policy and the pods from the caches, decides
 * the action states (eligibility, then the ladder), makes the pods match (pod-sync.ts),
 * forwards analyst feedback, writes the status once, then emits events, audit rows,
 * notifications and decisions. Blocks are carried by the policy's network policies, which the
 * policy reconciler rebuilds from the incidents' statuses; this pass only queues the policy.
 *
 * Killed at any point, a restart converges without repeating anything: pod changes are
 * idempotent and keep the originals from the first change, status records the decision,
 * audit keys and alert keys are deterministic.
 */
import { ForesightError } from '../../errors.js';
import { quarantineLeaks, wideningPolicies } from '../actuators/widening.js';
import { incidentsOf, type ControllerContext } from '../context.js';
import { jsonEqual } from '../k8s/conditions.js';
import { quarantineRecord, rateLimitRecord } from '../k8s/pods.js';
import { RESOURCES, splitKey } from '../k8s/resources.js';
import type { ReconcileResult } from '../k8s/work-queue.js';
import { geometry } from '../threatpolicy/matching.js';
import type { ActionStatus, ThreatIncident, ThreatPolicy } from '../threatpolicy/crd-types.js';
import { CapLedger } from './caps.js';
import { emitEffects } from './effects.js';
import { decideEligibility } from './eligibility.js';
import { forwardFeedback } from './feedback.js';
import { decideLadder } from './ladder.js';
import {
  enforcementFor,
  ladderInput,
  liveReconcilerStatus,
  reconcilerStatus,
  type ReconcilerStatus,
} from './plan.js';
import { FINALIZER, PodSync, newIssues } from './pod-sync.js';
import { resolveAll } from './resolve.js';

export { FINALIZER };
const RETRY_SOON_MS = 300;

export class IncidentReconciler {
  private readonly ledger = new CapLedger();
  private readonly pods: PodSync;
  /** Incidents whose audit rows were all (re)written since this process started. */
  private readonly audited = new Set<string>();
  /**
   * What this process last wrote to each incident's status, until the cache shows it. Only this
   * reconciler writes these fields, so a cache that differs is behind, and a pass must not
   * decide again from it (that would repeat a transition: a second event, audit row, alert).
   */
  private readonly written = new Map<string, { uid: string | undefined; status: ReconcilerStatus }>();

  constructor(private readonly ctx: ControllerContext) {
    this.pods = new PodSync(ctx);
  }

  async reconcile(key: string): Promise<ReconcileResult | void> {
    const { informers } = this.ctx;
    const incident = informers.incidents.getByKey(key);
    if (!incident) {
      // Gone (deleted with nothing held, or after its finalizer ran): release any leftovers.
      await this.pods.release(key, [], [], newIssues());
      this.ledger.forget(key);
      this.audited.delete(key);
      this.written.delete(key);
      return;
    }
    const { namespace } = splitKey(key);
    if (incident.metadata.deletionTimestamp) return this.finalize(key, incident);
    const policy = informers.policies.get(namespace, incident.spec.policyRef.name);
    if (!policy || policy.metadata.deletionTimestamp) {
      // Garbage collection follows the owner reference; deleting now makes it immediate.
      await this.ctx.client.delete(RESOURCES.threatIncidents, namespace, incident.metadata.name ?? '', {
        uid: incident.metadata.uid,
      });
      return;
    }
    const policyKey = `${namespace}/${policy.metadata.name}`;
    return this.ledger.withLock(policyKey, () => this.pass(key, this.withOwnWrites(key, incident), policy));
  }

  private withOwnWrites(key: string, incident: ThreatIncident): ThreatIncident {
    const own = this.written.get(key);
    if (!own || own.uid !== incident.metadata.uid || jsonEqual(liveReconcilerStatus(incident), own.status)) {
      this.written.delete(key);
      return incident;
    }
    return { ...incident, status: { ...incident.status, ...own.status } };
  }

  private async pass(key: string, incident: ThreatIncident, policy: ThreatPolicy): Promise<ReconcileResult> {
    const { ctx } = this;
    const now = ctx.now();
    const namespace = incident.metadata.namespace ?? '';
    const policyName = policy.metadata.name ?? '';
    const status = incident.status ?? {};
    const resolved = resolveAll(
      incident.spec.entity,
      status.addresses ?? [],
      (status.targets ?? []).map((t) => t.address),
      ctx.reveal,
      ctx.view,
    );
    const geo = geometry(incident.spec.entity.kind, resolved, {
      namespace,
      selector: policy.spec.podSelector,
    });
    const nsPods = ctx.informers.pods.list(namespace);
    const nsPolicies = ctx.informers.networkPolicies.list(namespace);
    const widens = (api: string, direction: 'Ingress' | 'Egress') =>
      api === 'NetworkPolicy'
        ? wideningPolicies(policyName, policy.spec.podSelector, nsPods, nsPolicies, direction)
        : [];
    const eligibility = decideEligibility({
      spec: policy.spec,
      namespace,
      incident: key,
      ...(incident.spec.entity.namespace ? { entityNamespace: incident.spec.entity.namespace } : {}),
      resolved,
      geometry: geo,
      guard: {
        protectedNamespaces: new Set([...ctx.config.protectedNamespaces, ctx.config.operatorNamespace]),
        operatorLabels: ctx.config.operatorLabels,
      },
      usage: this.ledger.usage(incidentsOf(ctx.informers, namespace, policyName), key),
      enforcement: ctx.enforcement,
      widening: {
        Ingress: widens(ctx.enforcement.ingress.api, 'Ingress'),
        Egress: widens(ctx.enforcement.egress.api, 'Egress'),
      },
      quarantineLeaks: quarantineLeaks(nsPolicies),
    });
    const ladder = decideLadder(ladderInput(incident, policy, eligibility, now));
    const issues = newIssues();

    await this.pods.sync(key, incident, policy, ladder.actions, issues);
    const feedback = await forwardFeedback(ctx.audit, key, incident, now, issues.problems);

    const direction = ladder.actions.find((a) => a.type === 'Block')?.direction ?? geo?.direction;
    const enforcement = enforcementFor(ctx.enforcement, direction);
    const next = reconcilerStatus(incident, ladder, enforcement, issues.problems, feedback, now);
    if (!jsonEqual(next, liveReconcilerStatus(incident))) {
      await ctx.client.patch(
        RESOURCES.threatIncidents,
        namespace,
        incident.metadata.name ?? '',
        { status: next },
        {
          subresource: 'status',
        },
      );
      this.written.set(key, { uid: incident.metadata.uid, status: next });
    }
    this.ledger.record(key, ladder.actions);

    const auditAll = !this.audited.has(key);
    this.audited.add(key);
    emitEffects(ctx, incident, policy, ladder.transitions, ladder.actions, auditAll);
    if (blockChanged(incident.status?.actions, ladder.actions))
      ctx.enqueuePolicy(`${namespace}/${policyName}`);
    await this.pods.dropFinalizerIfDone(key, incident, ladder.actions);
    if (issues.problems.length > 0) {
      throw new ForesightError('incident-degraded', `${key}: ${issues.problems.join('; ')}`);
    }
    const due = [ladder.requeueAfterMs, issues.retrySoon ? RETRY_SOON_MS : undefined].filter(
      (x): x is number => x !== undefined,
    );
    return due.length === 0 ? {} : { requeueAfterMs: Math.min(...due) };
  }

  /** Deletion: restore every pod the incident holds, then let the object go. */
  private async finalize(key: string, incident: ThreatIncident): Promise<void> {
    const issues = newIssues();
    await this.pods.release(key, [], [], issues);
    if (issues.problems.length > 0) {
      throw new ForesightError('incident-finalize', `${key}: ${issues.problems.join('; ')}`);
    }
    const stillHeld = this.pods
      .held(key)
      .some((p) => quarantineRecord(p)?.incident === key || rateLimitRecord(p)?.incident === key);
    // The cache has not seen our restores yet; their pod events queue this key again.
    if (stillHeld) return;
    if ((incident.metadata.finalizers ?? []).includes(FINALIZER))
      await this.pods.setFinalizer(incident, false);
    this.ledger.forget(key);
    this.ctx.enqueuePolicy(`${incident.metadata.namespace}/${incident.spec.policyRef.name}`);
  }
}

function blockChanged(before: readonly ActionStatus[] | undefined, after: readonly ActionStatus[]): boolean {
  const pick = (xs: readonly ActionStatus[] | undefined) => xs?.find((a) => a.type === 'Block');
  const a = pick(before);
  const b = pick(after);
  return a?.state !== b?.state || !jsonEqual(a?.addresses, b?.addresses);
}
