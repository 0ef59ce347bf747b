/**
 * The dashboard's incident and rule backends over the store, for the demo (and any deployment
 * without a cluster): incidents are the Monitor engine's, answers go through the engine so they
 * take effect at once; rules are rows the engine evaluates on every window.
 */
import { ForesightError } from '../../errors.js';
import type { AlertFiring, AlertRuleStore } from '../../detector/store/alert-rule-store.js';
import type { IncidentStore } from '../../detector/store/incident-store.js';
import type { ThreatIncident } from '../../controller/threatpolicy/crd-types.js';
import type {
  AnalystAnswer,
  DashboardRule,
  IncidentBackend,
  PolicySummary,
  RuleBackend,
  RuleInput,
} from '../server/types.js';
import { toIncident } from './monitor-engine.js';

/**
 * What the incident backend needs of the engine: incidents to read (the store, or the dashboard's
 * copy of them), answers and previews (the engine, in-process or in the demo worker).
 */
export interface IncidentEngine {
  readonly incidents: Pick<IncidentStore, 'list' | 'get'>;
  answer(key: string, answer: AnalystAnswer, analyst: string): Promise<ThreatIncident>;
  preview(key: string, revealAddresses: boolean): string | undefined | Promise<string | undefined>;
}

export class StoreIncidentBackend implements IncidentBackend {
  constructor(private readonly engine: IncidentEngine) {}

  async list(query: {
    phases?: readonly string[];
    entity?: string;
    limit?: number;
  }): Promise<ThreatIncident[]> {
    return (await this.engine.incidents.list(query)).map(toIncident);
  }

  async get(key: string): Promise<ThreatIncident> {
    return toIncident(await this.engine.incidents.get(key));
  }

  answer(key: string, answer: AnalystAnswer, analyst: string): Promise<ThreatIncident> {
    return this.engine.answer(key, answer, analyst);
  }

  async enforcementPreview(key: string, revealAddresses: boolean): Promise<string | undefined> {
    return this.engine.preview(key, revealAddresses);
  }
}

export class StoreRuleBackend implements RuleBackend {
  readonly metrics = ['anomaly', 'impact', 'confidence', 'flows', 'bytes'] as const;
  readonly entitySelectors = true;

  constructor(
    private readonly engine: { readonly rules: AlertRuleStore },
    private readonly policyList: () => PolicySummary[],
  ) {}

  list(): Promise<DashboardRule[]> {
    return this.engine.rules.list();
  }

  create(rule: RuleInput): Promise<DashboardRule> {
    this.checkPolicy(rule.policy);
    return this.engine.rules.create(rule);
  }

  update(id: string, rule: RuleInput): Promise<DashboardRule> {
    this.checkPolicy(rule.policy);
    return this.engine.rules.update(id, rule);
  }

  delete(id: string): Promise<void> {
    return this.engine.rules.delete(id);
  }

  policies(): Promise<PolicySummary[]> {
    return Promise.resolve(this.policyList());
  }

  recentFirings(limit: number): Promise<AlertFiring[]> {
    return this.engine.rules.recentFirings(limit);
  }

  private checkPolicy(policy: string): void {
    if (!this.policyList().some((p) => p.key === policy)) {
      throw new ForesightError('dashboard-invalid', `no policy ${policy}`);
    }
  }
}
