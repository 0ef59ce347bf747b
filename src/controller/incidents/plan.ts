/**
 * Pure pieces of an incident pass: the ladder's input from the incident and its policy, and the
 * status fields the reconciler owns (the verdict intake owns the observation fields; both patch
 * only their own, so neither overwrites the other).
 */
import { parseTime, setConditions } from '../k8s/conditions.js';
import type { EnforcementChoice } from '../k8s/discovery.js';
import type {
  ActionType,
  Enforcement,
  IncidentFeedback,
  LadderStep,
  ThreatIncident,
  ThreatIncidentStatus,
  ThreatPolicy,
} from '../threatpolicy/crd-types.js';
import type { Eligibility, LadderInput, LadderOutput } from './ladder.js';
import { LADDER_ORDER } from './ladder.js';

/** Status fields written by the incident reconciler. */
export const RECONCILER_FIELDS = [
  'observedGeneration',
  'phase',
  'action',
  'actions',
  'enforcement',
  'conditions',
  'feedback',
] as const;
export type ReconcilerStatus = Pick<ThreatIncidentStatus, (typeof RECONCILER_FIELDS)[number]>;

/** Alert rules alert "whatever the ladder says": without an Alert step they get one of their own. */
export function effectiveSteps(policy: ThreatPolicy): LadderStep[] {
  const steps = [...policy.spec.actions];
  if ((policy.spec.alertRules?.length ?? 0) > 0 && !steps.some((s) => s.type === 'Alert')) {
    steps.push({ type: 'Alert', threshold: 1, ttlSeconds: 3600, requireApproval: false });
  }
  return steps;
}

export function crossedTimes(incident: ThreatIncident): Partial<Record<ActionType, number>> {
  const out: Partial<Record<ActionType, number>> = {};
  const crossed = incident.status?.crossedAt ?? {};
  for (const type of LADDER_ORDER) {
    const t = parseTime(crossed[type]);
    if (t !== undefined) out[type] = t;
  }
  const rules = (incident.status?.alertRules ?? [])
    .map((r) => parseTime(r.firedAt))
    .filter((t): t is number => t !== undefined);
  if (rules.length > 0) out.Alert = Math.max(out.Alert ?? 0, ...rules);
  return out;
}

export function ladderInput(
  incident: ThreatIncident,
  policy: ThreatPolicy,
  eligibility: Partial<Record<ActionType, Eligibility>>,
  now: number,
): LadderInput {
  const { spec } = incident;
  const release = spec.verdict === 'FalsePositive' ? 'FalsePositive' : spec.release ? 'Released' : undefined;
  return {
    now,
    mode: policy.spec.mode,
    steps: effectiveSteps(policy),
    previous: incident.status?.actions ?? [],
    crossedAt: crossedTimes(incident),
    approved: spec.approve ?? [],
    ...(release ? { release } : {}),
    eligibility,
  };
}

export function enforcementFor(
  choice: EnforcementChoice,
  direction: 'Ingress' | 'Egress' | undefined,
): Enforcement {
  const target = direction === 'Egress' ? choice.egress : choice.ingress;
  return { api: target.api, limits: target.limits };
}

export function reconcilerStatus(
  incident: ThreatIncident,
  ladder: LadderOutput,
  enforcement: Enforcement,
  problems: readonly string[],
  feedback: IncidentFeedback | undefined,
  now: number,
): ReconcilerStatus {
  const generation = incident.metadata.generation;
  const degraded = problems.length > 0;
  const conditions = setConditions(
    incident.status?.conditions,
    [
      {
        type: 'Ready',
        status: degraded ? 'False' : 'True',
        reason: degraded ? 'ActionsPending' : 'Reconciled',
        message: degraded
          ? 'some decided actions are not in place yet'
          : `phase ${ladder.phase}, ${ladder.strongest}`,
      },
      {
        type: 'Degraded',
        status: degraded ? 'True' : 'False',
        reason: degraded ? 'ActionFailed' : 'AsExpected',
        message: degraded ? problems.join('; ') : '',
      },
    ],
    generation,
    new Date(now),
  );
  return {
    ...(generation === undefined ? {} : { observedGeneration: generation }),
    phase: ladder.phase,
    action: ladder.strongest,
    actions: ladder.actions,
    enforcement,
    conditions,
    ...(feedback ? { feedback } : {}),
  };
}

/** The reconciler's part of the live status, for comparison. */
export function liveReconcilerStatus(incident: ThreatIncident): ReconcilerStatus {
  const status = incident.status ?? {};
  const out: ReconcilerStatus = {};
  for (const f of RECONCILER_FIELDS) if (status[f] !== undefined) Object.assign(out, { [f]: status[f] });
  return out;
}
