/** Shapes of the API's answers, as the pages read them. */

export interface Entity {
  kind: string;
  key: string;
  namespace?: string;
  workload?: string;
}

export interface ActionLite {
  type: string;
  state: string;
  expiresAt?: string;
  since?: string;
}

export interface IncidentSummary {
  key: string;
  namespace: string;
  name: string;
  policy: string;
  entity: Entity;
  phase: string;
  action: string;
  threat: number;
  latest: number;
  firstSeen?: string;
  lastSeen?: string;
  verdictCount: number;
  summary?: string;
  actions: ActionLite[];
  verdict?: string;
  pendingApproval: boolean;
  alertRules: string[];
}

export interface Talker {
  entity: string;
  kind: string;
  namespace?: string;
  flows: number;
  bytes: number;
  maxThreat: number;
}

export interface Firing {
  rule: string;
  entity: string;
  incident?: string;
  value: number;
  firedAt: number;
}

export interface Overview {
  now: number;
  flowsPerSecond: number;
  totals: { flows: number; bytes: number };
  topTalkers: Talker[];
  incidents: { counts: Record<string, number>; active: IncidentSummary[] };
  actions: (ActionLite & { incident: string; entity: string })[];
  firings: Firing[];
}

export interface Series {
  now: number;
  stepMs: number;
  scope: { scope: string; key: string };
  traffic: { t: number[]; flows: number[] };
  forecast?: {
    t: number[];
    yhat: number[];
    lower: number[];
    upper: number[];
    model: string;
    version: number;
  };
  capacity?: number;
  scores: { t: number[]; threat: (number | null)[]; anomaly: (number | null)[]; alerts: number[] };
  thresholds: { incident: number; block: number };
  targets: { scope: string; key: string }[];
}

export interface StoredFlow {
  ts: number;
  src: string;
  dst: string;
  srcPort?: number;
  dstPort?: number;
  proto: number;
  action: string;
  bytes?: number;
  packets?: number;
  outcome?: string;
  srcEntity?: string;
  dstEntity?: string;
}
