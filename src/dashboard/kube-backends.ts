/**
 * The dashboard's incident and rule backends in a cluster: incidents are ThreatIncident objects
 * (analyst answers are written into their spec, the controller acts on them), alert rules live
 * in ThreatPolicy objects' spec.alertRules (the dashboard patches the policy, guarded by its
 * resourceVersion so a concurrent edit is refused rather than overwritten). The enforcement
 * preview shows the NetworkPolicies the controller owns for the incident's policy.
 */
import yaml from 'js-yaml';
import { isLive } from '../controller/incidents/ladder.js';
import { policyLabelValue } from '../controller/actuators/names.js';
import type { KubeClient, KubeObject } from '../controller/k8s/client.js';
import { KubeError } from '../controller/k8s/errors.js';
import { LABEL_POLICY, RESOURCES } from '../controller/k8s/resources.js';
import type { AlertRule, ThreatIncident, ThreatPolicy } from '../controller/threatpolicy/crd-types.js';
import { ruleId, type AlertFiring } from '../detector/store/alert-rule-store.js';
import { ForesightError } from '../errors.js';
import type {
  AnalystAnswer,
  DashboardRule,
  IncidentBackend,
  PolicySummary,
  RuleBackend,
  RuleInput,
} from './server/types.js';

function split(key: string): { namespace: string; name: string } {
  const cut = key.indexOf('/');
  return { namespace: key.slice(0, cut), name: key.slice(cut + 1) };
}

async function notFoundAs<T>(code: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof KubeError && err.code === 'k8s-not-found')
      throw new ForesightError(code, `no ${what}`, { cause: err });
    if (err instanceof KubeError && err.code === 'k8s-conflict') {
      throw new ForesightError(
        code.replace('not-found', 'conflict'),
        `${what} changed meanwhile: reload and try again`,
        { cause: err },
      );
    }
    throw err;
  }
}

/** Lists across the watched namespaces (all when none is configured). */
async function listAll<T extends KubeObject>(
  client: KubeClient,
  resource: (typeof RESOURCES)[keyof typeof RESOURCES],
  namespaces: readonly string[],
): Promise<T[]> {
  if (namespaces.length === 0) return (await client.list<T>(resource)).items;
  const lists = await Promise.all(namespaces.map((ns) => client.list<T>(resource, ns)));
  return lists.flatMap((l) => l.items);
}

export class KubeIncidentBackend implements IncidentBackend {
  constructor(
    private readonly client: KubeClient,
    private readonly namespaces: readonly string[],
  ) {}

  async list(query: {
    phases?: readonly string[];
    entity?: string;
    limit?: number;
  }): Promise<ThreatIncident[]> {
    const all = await listAll<ThreatIncident>(this.client, RESOURCES.threatIncidents, this.namespaces);
    return all
      .filter((i) => !query.phases || query.phases.includes(i.status?.phase ?? 'Open'))
      .filter((i) => !query.entity || i.spec.entity.key === query.entity)
      .sort((a, b) => (b.status?.lastSeen ?? '').localeCompare(a.status?.lastSeen ?? ''))
      .slice(0, query.limit ?? 500);
  }

  get(key: string): Promise<ThreatIncident> {
    const { namespace, name } = split(key);
    return notFoundAs('incident-not-found', `incident ${key}`, () =>
      this.client.get<ThreatIncident>(RESOURCES.threatIncidents, namespace, name),
    );
  }

  async answer(key: string, answer: AnalystAnswer, analyst: string): Promise<ThreatIncident> {
    const { namespace, name } = split(key);
    const current = await this.get(key);
    const spec: Record<string, unknown> = {};
    if ('verdict' in answer) {
      spec.verdict = answer.verdict;
      if (answer.note) spec.note = answer.note;
    } else if ('approve' in answer)
      spec.approve = [...new Set([...(current.spec.approve ?? []), answer.approve])];
    else spec.release = answer.release;
    return notFoundAs('incident-not-found', `incident ${key}`, () =>
      this.client.patch<ThreatIncident>(RESOURCES.threatIncidents, namespace, name, {
        metadata: {
          resourceVersion: current.metadata.resourceVersion,
          annotations: { 'foresight.dev/analyst': analyst },
        },
        spec,
      }),
    );
  }

  async enforcementPreview(key: string, revealAddresses: boolean): Promise<string | undefined> {
    const incident = await this.get(key);
    if (!(incident.status?.actions ?? []).some((a) => isLive(a) && a.type !== 'Alert')) return undefined;
    const { namespace } = split(key);
    const label = `${LABEL_POLICY}=${policyLabelValue(incident.spec.policyRef.name)}`;
    const { items } = await this.client.list<KubeObject>(RESOURCES.networkPolicies, namespace, {
      labelSelector: label,
    });
    if (items.length === 0) return undefined;
    const docs = items.map((o) => {
      const { managedFields: _m, ...metadata } = (o.metadata ?? {}) as Record<string, unknown>;
      return yaml.dump({ ...o, metadata }, { lineWidth: 120, noRefs: true }).trimEnd();
    });
    const text = ['# NetworkPolicies the controller keeps for this policy', ...docs].join('\n---\n');
    // The objects carry real addresses: only those allowed to reveal see them.
    return revealAddresses
      ? text
      : text
          .replace(/\b\d{1,3}(\.\d{1,3}){3}\/32\b/g, '<address>/32')
          .replace(/[0-9a-f:]+\/128\b/gi, '<address>/128');
  }
}

function toRule(policy: ThreatPolicy, r: AlertRule): DashboardRule {
  const key = `${policy.metadata.namespace}/${policy.metadata.name}`;
  return {
    id: ruleId(key, r.name),
    policy: key,
    name: r.name,
    metric: r.detector ? `detector:${r.detector}` : 'threat',
    ...(r.feature ? { feature: r.feature } : {}),
    threshold: r.minScore,
    count: r.count,
    windowSeconds: r.windowSeconds,
    severity: r.severity,
    createdAt: 0,
    updatedAt: 0,
    firings: 0,
  };
}

function toCrd(rule: RuleInput): AlertRule {
  if (rule.metric !== 'threat' && !rule.metric.startsWith('detector:')) {
    throw new ForesightError(
      'dashboard-invalid',
      `ThreatPolicy alert rules take the threat or a detector's score, not ${rule.metric}`,
    );
  }
  return {
    name: rule.name,
    ...(rule.metric.startsWith('detector:') ? { detector: rule.metric.slice('detector:'.length) } : {}),
    ...(rule.feature ? { feature: rule.feature } : {}),
    minScore: rule.threshold,
    count: rule.count,
    windowSeconds: rule.windowSeconds,
    severity: rule.severity,
  };
}

export class KubeRuleBackend implements RuleBackend {
  /** The CRD's rules take the threat score or one detector's score only. */
  readonly metrics: readonly string[] = [];
  readonly entitySelectors = false;

  constructor(
    private readonly client: KubeClient,
    private readonly namespaces: readonly string[],
  ) {}

  async list(): Promise<DashboardRule[]> {
    const [policies, firings] = await Promise.all([this.allPolicies(), this.recentFirings(1000)]);
    return policies.flatMap((p) =>
      (p.spec.alertRules ?? []).map((r) => {
        const rule = toRule(p, r);
        const mine = firings.filter((f) => f.rule === rule.id);
        return { ...rule, firings: mine.length, ...(mine[0] ? { lastFiredAt: mine[0].firedAt } : {}) };
      }),
    );
  }

  async create(rule: RuleInput): Promise<DashboardRule> {
    return this.edit(
      rule.policy,
      (rules) => {
        if (rules.some((r) => r.name === rule.name))
          throw new ForesightError(
            'rule-exists',
            `policy ${rule.policy} already has a rule named ${rule.name}`,
          );
        return [...rules, toCrd(rule)];
      },
      rule.name,
    );
  }

  async update(id: string, rule: RuleInput): Promise<DashboardRule> {
    const from = id.slice(0, id.lastIndexOf('/'));
    const oldName = id.slice(id.lastIndexOf('/') + 1);
    if (from !== rule.policy) {
      const created = await this.create(rule);
      await this.delete(id);
      return created;
    }
    return this.edit(
      rule.policy,
      (rules) => {
        if (!rules.some((r) => r.name === oldName))
          throw new ForesightError('rule-not-found', `no alert rule ${id}`);
        if (oldName !== rule.name && rules.some((r) => r.name === rule.name))
          throw new ForesightError(
            'rule-exists',
            `policy ${rule.policy} already has a rule named ${rule.name}`,
          );
        return rules.map((r) => (r.name === oldName ? toCrd(rule) : r));
      },
      rule.name,
    );
  }

  async delete(id: string): Promise<void> {
    const policy = id.slice(0, id.lastIndexOf('/'));
    const name = id.slice(id.lastIndexOf('/') + 1);
    await this.edit(policy, (rules) => {
      if (!rules.some((r) => r.name === name))
        throw new ForesightError('rule-not-found', `no alert rule ${id}`);
      return rules.filter((r) => r.name !== name);
    });
  }

  async policies(): Promise<PolicySummary[]> {
    return (await this.allPolicies()).map((p) => ({
      key: `${p.metadata.namespace}/${p.metadata.name}`,
      namespace: p.metadata.namespace ?? '',
      name: p.metadata.name ?? '',
      mode: p.spec.mode,
      podSelector: p.spec.podSelector,
      incidentThreshold: p.spec.incidentThreshold,
    }));
  }

  /** Rules that fired, from the incidents' status (newest first). */
  async recentFirings(limit: number): Promise<AlertFiring[]> {
    const incidents = await listAll<ThreatIncident>(this.client, RESOURCES.threatIncidents, this.namespaces);
    const out: AlertFiring[] = [];
    for (const i of incidents) {
      const policy = `${i.metadata.namespace}/${i.spec.policyRef.name}`;
      for (const r of i.status?.alertRules ?? []) {
        out.push({
          rule: ruleId(policy, r.name),
          entity: i.spec.entity.key,
          incident: `${i.metadata.namespace}/${i.metadata.name}`,
          value: i.status?.score?.latest ?? 0,
          firedAt: Date.parse(r.firedAt ?? '') || 0,
        });
      }
    }
    return out.sort((a, b) => b.firedAt - a.firedAt).slice(0, limit);
  }

  private allPolicies(): Promise<ThreatPolicy[]> {
    return listAll<ThreatPolicy>(this.client, RESOURCES.threatPolicies, this.namespaces);
  }

  /** Read, change, write back with the read's resourceVersion (a concurrent edit is a conflict). */
  private async edit(
    policyKey: string,
    change: (rules: AlertRule[]) => AlertRule[],
    name?: string,
  ): Promise<DashboardRule> {
    const { namespace, name: policyName } = split(policyKey);
    const policy = await notFoundAs('policy-not-found', `ThreatPolicy ${policyKey}`, () =>
      this.client.get<ThreatPolicy>(RESOURCES.threatPolicies, namespace, policyName),
    );
    const rules = change(policy.spec.alertRules ?? []);
    const patched = await notFoundAs('policy-not-found', `ThreatPolicy ${policyKey}`, () =>
      this.client.patch<ThreatPolicy>(RESOURCES.threatPolicies, namespace, policyName, {
        metadata: { resourceVersion: policy.metadata.resourceVersion },
        spec: { alertRules: rules },
      }),
    );
    const rule = (patched.spec.alertRules ?? []).find((r) => r.name === name);
    return rule
      ? toRule(patched, rule)
      : {
          ...toRule(
            patched,
            rules[0] ?? { name: '', minScore: 0, count: 1, windowSeconds: 60, severity: 'info' },
          ),
          id: '',
        };
  }
}
