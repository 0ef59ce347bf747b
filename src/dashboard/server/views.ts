/**
 * What the API returns about incidents: a summary row for lists and the full view for the
 * incident page, both from a ThreatIncident object (the store engine keeps the same shape), so
 * the web UI reads one format whatever the backend.
 */
import type {
  ActionStatus,
  ThreatIncident,
  ThreatIncidentSpec,
  ThreatIncidentStatus,
} from '../../controller/threatpolicy/crd-types.js';
import { isLive } from '../../controller/incidents/ladder.js';

export interface IncidentSummary {
  key: string;
  namespace: string;
  name: string;
  policy: string;
  entity: ThreatIncidentSpec['entity'];
  phase: string;
  action: string;
  threat: number;
  latest: number;
  firstSeen?: string;
  lastSeen?: string;
  verdictCount: number;
  summary?: string;
  /** Live actions (Active, Intended, PendingApproval) with their expiry. */
  actions: Pick<ActionStatus, 'type' | 'state' | 'expiresAt' | 'since'>[];
  verdict?: string;
  pendingApproval: boolean;
  alertRules: string[];
}

export interface IncidentView extends IncidentSummary {
  spec: ThreatIncidentSpec;
  status: ThreatIncidentStatus;
}

export function incidentKey(i: ThreatIncident): string {
  return `${i.metadata.namespace ?? ''}/${i.metadata.name ?? ''}`;
}

export function summarize(i: ThreatIncident): IncidentSummary {
  const s = i.status ?? {};
  const live = (s.actions ?? []).filter(isLive);
  return {
    key: incidentKey(i),
    namespace: i.metadata.namespace ?? '',
    name: i.metadata.name ?? '',
    policy: `${i.metadata.namespace ?? ''}/${i.spec.policyRef.name}`,
    entity: i.spec.entity,
    phase: s.phase ?? 'Open',
    action: s.action ?? 'None',
    threat: s.score?.threat ?? 0,
    latest: s.score?.latest ?? s.score?.threat ?? 0,
    ...(s.firstSeen ? { firstSeen: s.firstSeen } : {}),
    ...(s.lastSeen ? { lastSeen: s.lastSeen } : {}),
    verdictCount: s.verdictCount ?? 0,
    ...(s.explanation?.summary ? { summary: s.explanation.summary } : {}),
    actions: live.map((a) => ({
      type: a.type,
      state: a.state,
      ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
      ...(a.since ? { since: a.since } : {}),
    })),
    ...(i.spec.verdict ? { verdict: i.spec.verdict } : {}),
    pendingApproval: live.some((a) => a.state === 'PendingApproval'),
    alertRules: (s.alertRules ?? []).map((r) => r.name),
  };
}

export function incidentView(i: ThreatIncident): IncidentView {
  return { ...summarize(i), spec: i.spec, status: i.status ?? {} };
}
