/**
 * The pod side of an incident: quarantine and rate-limit exactly the pods its Active actions
 * name, restore every other pod it holds, and keep the finalizer that guarantees the restore
 * (garbage collection cannot undo labels) exactly as long as a pod may be held.
 */
import { errorMessage } from '../../errors.js';
import { policyLabelValue } from '../actuators/names.js';
import { quarantinePolicyName } from '../actuators/network-policies.js';
import type { ControllerContext } from '../context.js';
import { isConflict, isNotFound } from '../k8s/errors.js';
import { quarantineRecord, rateLimitRecord, type Pod } from '../k8s/pods.js';
import { RESOURCES } from '../k8s/resources.js';
import type { ActionStatus, ThreatIncident, ThreatPolicy } from '../threatpolicy/crd-types.js';

export const FINALIZER = 'foresight.dev/restore-pods';

/** What went wrong in a pass, and whether it should just run again soon (the cache was behind). */
export interface PassIssues {
  problems: string[];
  retrySoon: boolean;
}

export const newIssues = (): PassIssues => ({ problems: [], retrySoon: false });

export class PodSync {
  constructor(private readonly ctx: ControllerContext) {}

  /** Pods carrying this incident's quarantine or rate-limit record. */
  held(key: string): Pod[] {
    return this.ctx.informers.pods.byIndex('incident', key);
  }

  async sync(
    key: string,
    incident: ThreatIncident,
    policy: ThreatPolicy,
    actions: readonly ActionStatus[],
    issues: PassIssues,
  ): Promise<void> {
    const { ctx } = this;
    const namespace = incident.metadata.namespace ?? '';
    const policyName = policy.metadata.name ?? '';
    const active = (type: string) => actions.find((a) => a.type === type && a.state === 'Active');
    const bandwidth = policy.spec.actions.find((s) => s.type === 'RateLimit')?.rateLimit ?? {};
    const wantQ = new Set(active('Quarantine')?.pods ?? []);
    const wantR = new Set(bandwidth.ingress || bandwidth.egress ? (active('RateLimit')?.pods ?? []) : []);
    if (wantQ.size + wantR.size > 0 && !(incident.metadata.finalizers ?? []).includes(FINALIZER)) {
      await this.setFinalizer(incident, true);
    }
    // Never label a pod before the deny-all policy that isolates it exists.
    const denyAll = quarantinePolicyName(policyName);
    const isolationReady = ctx.informers.networkPolicies.get(namespace, denyAll) !== undefined;
    for (const name of wantQ) {
      const pod = ctx.informers.pods.get(namespace, name);
      if (!pod || quarantineRecord(pod)) continue;
      if (!isolationReady) {
        issues.problems.push(`quarantine of ${name} waits for NetworkPolicy ${denyAll}`);
        ctx.enqueuePolicy(`${namespace}/${policyName}`);
        continue;
      }
      await this.attempt(issues, `quarantine ${name}`, () =>
        ctx.podActuator.quarantine(pod, key, policyLabelValue(policyName)),
      );
    }
    for (const name of wantR) {
      const pod = ctx.informers.pods.get(namespace, name);
      if (pod)
        await this.attempt(issues, `rate-limit ${name}`, () =>
          ctx.podActuator.rateLimit(pod, key, bandwidth),
        );
    }
    await this.release(key, [...wantQ], [...wantR], issues);
  }

  /** Restores every held pod not in the keep lists. */
  async release(
    key: string,
    keepQ: readonly string[],
    keepR: readonly string[],
    issues: PassIssues,
  ): Promise<void> {
    for (const pod of this.held(key)) {
      const name = pod.metadata?.name ?? '';
      if (quarantineRecord(pod)?.incident === key && !keepQ.includes(name)) {
        await this.attempt(issues, `restore ${name}`, () => this.ctx.podActuator.release(pod));
      }
      if (rateLimitRecord(pod)?.incident === key && !keepR.includes(name)) {
        await this.attempt(issues, `lift rate limit of ${name}`, () =>
          this.ctx.podActuator.releaseRateLimit(pod),
        );
      }
    }
  }

  /** Drops the finalizer once no pod is held and no pod action is in force. */
  async dropFinalizerIfDone(
    key: string,
    incident: ThreatIncident,
    actions: readonly ActionStatus[],
  ): Promise<void> {
    if (!(incident.metadata.finalizers ?? []).includes(FINALIZER)) return;
    const podActions = actions.some(
      (a) => a.state === 'Active' && (a.type === 'Quarantine' || a.type === 'RateLimit'),
    );
    if (podActions || this.held(key).length > 0) return;
    await this.setFinalizer(incident, false);
  }

  async setFinalizer(incident: ThreatIncident, present: boolean): Promise<void> {
    const current = incident.metadata.finalizers ?? [];
    const next = present ? [...new Set([...current, FINALIZER])] : current.filter((f) => f !== FINALIZER);
    // A test on the list itself, not on resourceVersion: status updates must not make this conflict.
    const ops = incident.metadata.finalizers
      ? [
          { op: 'test', path: '/metadata/finalizers', value: current },
          { op: 'replace', path: '/metadata/finalizers', value: next },
        ]
      : [{ op: 'add', path: '/metadata/finalizers', value: next }];
    await this.ctx.client.patch(
      RESOURCES.threatIncidents,
      incident.metadata.namespace,
      incident.metadata.name ?? '',
      ops,
      {
        type: 'json',
      },
    );
  }

  private async attempt(issues: PassIssues, what: string, fn: () => Promise<unknown>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      if (isNotFound(err)) return;
      // A conflict means the cache was behind our own last write (patches carry resourceVersion):
      // nothing is wrong, the pass just runs again once the cache caught up.
      if (isConflict(err)) issues.retrySoon = true;
      else issues.problems.push(`${what}: ${errorMessage(err)}`);
    }
  }
}
