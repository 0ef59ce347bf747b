/**
 * What a notification says, independent of where it goes (Alertmanager, webhook, NATS), and
 * the decision events external enforcers read from `foresight.decisions.<namespace>`.
 */
import type { ActionState, ActionType, Severity } from '../threatpolicy/crd-types.js';

export interface IncidentAlert {
  /** De-duplication key: the same alert to the same target is sent once per dedupe window. */
  key: string;
  /** `namespace/name` of the ThreatIncident. */
  incident: string;
  namespace: string;
  policy: string;
  entity: string;
  action: ActionType;
  state: ActionState;
  severity: Severity;
  score: number;
  summary: string;
  description: string;
  startsAt: number;
  /** Set when the alert is resolved (the action ended). */
  endsAt?: number;
}

export interface DecisionEvent {
  version: 1;
  kind: 'foresight.decision';
  incident: string;
  namespace: string;
  policy: string;
  entity: string;
  action: ActionType;
  state: ActionState;
  mode: 'Monitor' | 'Enforce';
  direction?: 'Ingress' | 'Egress';
  /** Addresses to act on: the token and, for enforcers, the address behind it. */
  addresses: { token: string; ip?: string }[];
  pods: string[];
  bandwidth?: { ingress?: string; egress?: string };
  at: string;
  expiresAt?: string;
}

export const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Severity of an action state change: enforcing actions are critical, intents informational. */
export function severityOf(action: ActionType, state: ActionState, ruleSeverity?: Severity): Severity {
  if (state === 'Intended' || state === 'PendingApproval' || state === 'Refused') return 'info';
  if (action === 'Alert') return ruleSeverity ?? 'warning';
  return action === 'RateLimit' ? 'warning' : 'critical';
}

export function isResolved(state: ActionState): boolean {
  return state === 'Expired' || state === 'Reverted';
}
