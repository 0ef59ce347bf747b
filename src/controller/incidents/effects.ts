/**
 * What an incident pass tells the world after its status is written: a Kubernetes Event per
 * action state change, audit rows, notifications to the policy's targets, and decision events
 * for external enforcers. All best effort and off the reconcile path (they queue and retry on
 * their own); audit rows and alert keys are deterministic, so repeating a pass repeats nothing.
 */
import type { ActionRecord } from '../../detector/store/controller-audit.js';
import { parseTime } from '../k8s/conditions.js';
import type { ActionStatus, Severity, ThreatIncident, ThreatPolicy } from '../threatpolicy/crd-types.js';
import { apiVersionOf, RESOURCES } from '../k8s/resources.js';
import type { ControllerContext } from '../context.js';
import { isResolved, severityOf, type IncidentAlert } from '../notifications/types.js';
import type { Transition } from './ladder.js';

const OUTCOME: Record<ActionStatus['state'], string> = {
  Active: 'applied',
  Intended: 'intended',
  PendingApproval: 'pending-approval',
  Refused: 'refused',
  Expired: 'expired',
  Reverted: 'reverted',
};

export function auditKey(incidentKey: string, a: ActionStatus): string {
  return `${incidentKey}/${a.type}/${a.state}/${a.since ?? ''}`;
}

export function auditRows(
  incident: ThreatIncident,
  policy: ThreatPolicy,
  actions: readonly ActionStatus[],
  now: number,
): ActionRecord[] {
  const key = `${incident.metadata.namespace}/${incident.metadata.name}`;
  return actions.map((a) => ({
    key: auditKey(key, a),
    at: parseTime(a.since) ?? now,
    policy: `${policy.metadata.namespace}/${policy.metadata.name}`,
    incident: key,
    entity: incident.spec.entity.key,
    action: a.type,
    mode: policy.spec.mode,
    outcome: OUTCOME[a.state],
    detail: {
      reason: a.reason,
      message: a.message,
      ...(a.pods ? { pods: a.pods } : {}),
      ...(a.addresses ? { addresses: a.addresses } : {}),
      ...(a.direction ? { direction: a.direction } : {}),
      ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
      score: incident.status?.score?.threat,
    },
  }));
}

export function emitEffects(
  ctx: ControllerContext,
  incident: ThreatIncident,
  policy: ThreatPolicy,
  transitions: readonly Transition[],
  actions: readonly ActionStatus[],
  auditAll: boolean,
): void {
  const now = ctx.now();
  const key = `${incident.metadata.namespace}/${incident.metadata.name}`;
  const involved = {
    ...incident,
    apiVersion: apiVersionOf(RESOURCES.threatIncidents),
    kind: 'ThreatIncident',
  };
  const byType = new Map(actions.map((a) => [a.type, a]));
  const changed = transitions
    .map((t) => byType.get(t.type))
    .filter((a): a is ActionStatus => a !== undefined);
  ctx.audit.record(auditRows(incident, policy, auditAll ? actions : changed, now));
  for (const t of transitions) {
    const action = byType.get(t.type);
    ctx.metrics.actions.inc({ action: t.type, state: t.to });
    const warning = t.to === 'Refused' || (t.to === 'Active' && t.type !== 'Alert');
    ctx.events.record(
      involved,
      warning ? 'Warning' : 'Normal',
      `${t.type}${t.to}`,
      `${t.type} ${t.to.toLowerCase()}: ${t.message}`,
    );
    if (!action) continue;
    if (t.to === 'Active' || t.to === 'Intended') {
      const crossed = parseTime(incident.status?.crossedAt?.[t.type]) ?? parseTime(incident.status?.lastSeen);
      if (crossed !== undefined)
        ctx.metrics.verdictToAction.observe({ action: t.type }, Math.max(0, now - crossed) / 1000);
    }
    notify(ctx, incident, policy, key, action, t);
    if (t.type !== 'Alert') publishDecision(ctx, incident, policy, key, action);
  }
}

function notify(
  ctx: ControllerContext,
  incident: ThreatIncident,
  policy: ThreatPolicy,
  key: string,
  action: ActionStatus,
  t: Transition,
): void {
  const targets = policy.spec.notifications ?? [];
  if (targets.length === 0) return;
  // A resolution is only news for an alert that went out: an action that was in force.
  if (isResolved(action.state) && t.from !== 'Active' && t.from !== 'Intended') return;
  const ruleSeverity = latestRuleSeverity(incident);
  const severity: Severity = isResolved(action.state)
    ? severityOf(action.type, t.from === 'Intended' ? 'Intended' : 'Active', ruleSeverity)
    : severityOf(action.type, action.state, ruleSeverity);
  const ns = incident.metadata.namespace ?? '';
  const started = parseTime(action.appliedAt) ?? parseTime(action.since) ?? ctx.now();
  const alert: IncidentAlert = {
    key: `${key}/${action.type}/${action.state}/${action.since ?? ''}`,
    incident: key,
    namespace: ns,
    policy: policy.metadata.name ?? '',
    entity: incident.spec.entity.key,
    action: action.type,
    state: action.state,
    severity,
    score: incident.status?.score?.threat ?? 0,
    summary: `${action.type} ${action.state.toLowerCase()} for ${incident.spec.entity.key} (${ns}/${policy.metadata.name})`,
    description: [action.message, incident.status?.explanation?.summary].filter(Boolean).join(' — '),
    startsAt: started,
    ...(isResolved(action.state) ? { endsAt: parseTime(action.since) ?? ctx.now() } : {}),
  };
  ctx.notifier.notify(ns, policy.metadata.name ?? '', targets, alert);
}

function latestRuleSeverity(incident: ThreatIncident): Severity | undefined {
  const rules = [...(incident.status?.alertRules ?? [])].sort(
    (a, b) => (parseTime(b.firedAt) ?? 0) - (parseTime(a.firedAt) ?? 0),
  );
  const s = rules[0]?.severity;
  return s === 'info' || s === 'warning' || s === 'critical' ? s : undefined;
}

function publishDecision(
  ctx: ControllerContext,
  incident: ThreatIncident,
  policy: ThreatPolicy,
  key: string,
  action: ActionStatus,
): void {
  const step = policy.spec.actions.find((s) => s.type === action.type);
  ctx.decisions.publish({
    version: 1,
    kind: 'foresight.decision',
    incident: key,
    namespace: incident.metadata.namespace ?? '',
    policy: policy.metadata.name ?? '',
    entity: incident.spec.entity.key,
    action: action.type,
    state: action.state,
    mode: policy.spec.mode,
    ...(action.direction ? { direction: action.direction } : {}),
    addresses: (action.addresses ?? []).map((token) => {
      const ip = ctx.reveal(token);
      return ip ? { token, ip } : { token };
    }),
    pods: action.pods ?? [],
    ...(action.type === 'RateLimit' && step?.rateLimit ? { bandwidth: step.rateLimit } : {}),
    at: action.since ?? new Date(ctx.now()).toISOString(),
    ...(action.expiresAt ? { expiresAt: action.expiresAt } : {}),
  });
}
