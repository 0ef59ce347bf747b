/**
 * The dashboard server's seams: who is asking (access control), where incidents and alert rules
 * live (the store in the demo, ThreatIncident and ThreatPolicy objects in a cluster), and what the
 * live stream carries. The routes are written once against these interfaces.
 */
import type { AlertFiring, AlertRuleInput, StoredAlertRule } from '../../detector/store/alert-rule-store.js';
import type {
  ActionType,
  AnalystVerdict,
  LabelSelector,
  ThreatIncident,
} from '../../controller/threatpolicy/crd-types.js';

export interface Principal {
  /** User name as the authenticator knows it (shown in the header, recorded as the analyst). */
  name: string;
  groups: readonly string[];
}

/**
 * What a principal may do. In a cluster each maps to a SubjectAccessReview (docs/adr/0013):
 * read = list threatincidents; feedback and approve = update threatincidents; reveal = the
 * custom verb `reveal` on threatincidents; rules = patch threatpolicies; models = update on the
 * virtual resource `models` (all in the foresight.dev group).
 */
export type Permission = 'read' | 'feedback' | 'approve' | 'reveal' | 'rules' | 'models';
export const PERMISSIONS: readonly Permission[] = [
  'read',
  'feedback',
  'approve',
  'reveal',
  'rules',
  'models',
];

export interface AccessControl {
  /** The principal behind a bearer token, or undefined when the token is not valid. */
  authenticate(token: string): Promise<Principal | undefined>;
  /** Whether the principal may do this (in a namespace, or cluster-wide when absent). */
  allowed(principal: Principal, permission: Permission, namespace?: string): Promise<boolean>;
}

export type AnalystAnswer =
  { verdict: AnalystVerdict; note?: string } | { approve: ActionType } | { release: boolean };

export interface IncidentBackend {
  /** Most recently active first. */
  list(query: { phases?: readonly string[]; entity?: string; limit?: number }): Promise<ThreatIncident[]>;
  /** By `namespace/name`; throws ForesightError `incident-not-found`. */
  get(key: string): Promise<ThreatIncident>;
  /** Writes the analyst's answer into the incident's spec; the engine (or controller) acts on it. */
  answer(key: string, answer: AnalystAnswer, analyst: string): Promise<ThreatIncident>;
  /** The NetworkPolicy objects (YAML) that Enforce would apply or applies for the incident. */
  enforcementPreview?(key: string, revealAddresses: boolean): Promise<string | undefined>;
}

export interface PolicySummary {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
  mode: 'Monitor' | 'Enforce';
  podSelector: LabelSelector;
  incidentThreshold: number;
}

export type DashboardRule = StoredAlertRule;
export type RuleInput = AlertRuleInput;

export interface RuleBackend {
  list(): Promise<DashboardRule[]>;
  create(rule: RuleInput): Promise<DashboardRule>;
  /** `id` is `<namespace>/<policy>/<name>`. */
  update(id: string, rule: RuleInput): Promise<DashboardRule>;
  delete(id: string): Promise<void>;
  policies(): Promise<PolicySummary[]>;
  /** Metrics a rule may use besides threat and the detectors (the store engine adds flows, bytes). */
  readonly metrics: readonly string[];
  /** Whether rules may name an entity glob. */
  readonly entitySelectors: boolean;
  recentFirings(limit: number): Promise<AlertFiring[]>;
}

/** Events on the live stream (server-sent events, `event:` is the type). */
export type LiveEvent =
  | { type: 'tick'; data: TickData }
  | { type: 'incidents'; data: { changed: string[] } }
  | { type: 'alert'; data: AlertFiring }
  | { type: 'models'; data: { versions: Record<string, number> } };

export interface TickData {
  now: number;
  /** Flows per second over the latest complete step. */
  flowsPerSecond: number;
  /** The latest complete traffic step. */
  traffic: { t: number; flows: number };
  /** The latest score step (highest threat and anomaly among verdicts). */
  score: { t: number; threat: number | null; anomaly: number | null };
  incidents: Record<string, number>;
}
