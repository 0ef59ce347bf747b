/**
 * The demo's in-process controller ("Monitor engine"): what `foresight controller` does with
 * verdicts and ThreatIncidents, run on the same pure code — policy matching, per-policy scores,
 * the observation merge, eligibility and the action ladder, audit rows — against in-process
 * ThreatPolicies and the simulated cluster, with incidents kept in the store instead of the API
 * server. Nothing is enforced (the policies are in Monitor mode); enforcement-preview.ts shows
 * the objects Enforce would apply. Analyst answers go into the incident's spec, as on a cluster,
 * and feedback is recorded through the trainer's recordFeedback.
 * Work is serialized: one batch or answer at a time.
 */
import {
  AlertRuleStore,
  type AlertFiring,
  type StoredAlertRule,
} from '../../detector/store/alert-rule-store.js';
import type { ControllerAuditStore } from '../../detector/store/controller-audit.js';
import type { Db } from '../../detector/store/db.js';
import { IncidentStore, type StoredIncident } from '../../detector/store/incident-store.js';
import type { ScoredWindow } from '../../detector/scoring/scoring-service.js';
import { recordFeedback, type FeedbackOptions } from '../../detector/training/feedback.js';
import { incidentName } from '../../controller/actuators/names.js';
import { CapLedger } from '../../controller/incidents/caps.js';
import { auditRows } from '../../controller/incidents/effects.js';
import { decideEligibility, type Guard } from '../../controller/incidents/eligibility.js';
import { decideLadder } from '../../controller/incidents/ladder.js';
import {
  mergeObservation,
  observationPatch,
  type Memo,
  type Merged,
} from '../../controller/incidents/observation.js';
import { effectiveSteps, enforcementFor, ladderInput } from '../../controller/incidents/plan.js';
import { resolveAll, type ClusterView, type Reveal } from '../../controller/incidents/resolve.js';
import { policyScore, predictionWithin, resolveCriticality } from '../../controller/incidents/scoring.js';
import { chooseEnforcement, type EnforcementChoice } from '../../controller/k8s/discovery.js';
import { isoTime, jsonEqual } from '../../controller/k8s/conditions.js';
import type {
  ThreatIncident,
  ThreatIncidentStatus,
  ThreatPolicy,
} from '../../controller/threatpolicy/crd-types.js';
import { geometry, touchedNamespaces } from '../../controller/threatpolicy/matching.js';
import type { Logger } from '../../observability/logger.js';
import type { AnalystAnswer } from '../server/types.js';
import { enforcementPreview } from './enforcement-preview.js';
import { RuleWindows } from './rule-windows.js';

export interface MonitorEngineDeps {
  db: Db;
  audit: ControllerAuditStore;
  policies: readonly ThreatPolicy[];
  view: ClusterView;
  reveal: Reveal;
  guard: Guard;
  feedback: FeedbackOptions;
  now: () => number;
  logger: Logger;
  /** Called after analyst feedback was recorded (the demo retrains a little later). */
  onFeedback?: () => void;
  /** Called with incidents as stored, on load and after every write (the dashboard's copy). */
  onPersist?: (incidents: readonly StoredIncident[]) => void;
}

interface Entry {
  incident: ThreatIncident;
  createdAt: number;
}

export class MonitorEngine {
  readonly incidents: IncidentStore;
  readonly rules: AlertRuleStore;
  /** No deny-capable CNI in the demo: blocks are Kubernetes NetworkPolicies. */
  readonly enforcement: EnforcementChoice = chooseEnforcement(new Map());
  private readonly cache = new Map<string, Entry>();
  private readonly memos = new Map<string, Memo>();
  private readonly audited = new Set<string>();
  private readonly ledger = new CapLedger();
  private readonly windows = new RuleWindows();
  /** When each incident's next state change is due (a TTL ends): the controller's requeueAfter. */
  private readonly due = new Map<string, number>();
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly deps: MonitorEngineDeps) {
    this.incidents = new IncidentStore(deps.db);
    this.rules = new AlertRuleStore(deps.db);
  }

  /** Loads incidents already in the store (a restarted demo on a PGlite directory). */
  async load(): Promise<void> {
    const stored = await this.incidents.list({ limit: 5000 });
    for (const s of stored) this.cache.set(s.key, { incident: toIncident(s), createdAt: s.createdAt });
    this.deps.onPersist?.(stored);
  }

  policyOf(incident: ThreatIncident): ThreatPolicy | undefined {
    return this.deps.policies.find(
      (p) =>
        p.metadata.namespace === incident.metadata.namespace &&
        p.metadata.name === incident.spec.policyRef.name,
    );
  }

  /** Turns a batch of scored windows into incidents, actions and alert firings. */
  process(scored: readonly ScoredWindow[]): Promise<AlertFiring[]> {
    return this.serial(() => this.processNow(scored));
  }

  /** Applies an analyst's answer and reconciles the incident at once. */
  answer(key: string, answer: AnalystAnswer, analyst: string): Promise<ThreatIncident> {
    return this.serial(async () => {
      const entry = this.cache.get(key) ?? {
        incident: toIncident(await this.incidents.get(key)),
        createdAt: this.deps.now(),
      };
      const spec = { ...entry.incident.spec };
      if ('verdict' in answer) {
        spec.verdict = answer.verdict;
        if (answer.note) spec.note = answer.note;
      } else if ('approve' in answer) {
        spec.approve = [...new Set([...(spec.approve ?? []), answer.approve])];
      } else {
        spec.release = answer.release;
      }
      const incident: ThreatIncident = {
        ...entry.incident,
        metadata: {
          ...entry.incident.metadata,
          annotations: { ...entry.incident.metadata.annotations, 'foresight.dev/analyst': analyst },
        },
        spec,
      };
      this.cache.set(key, { ...entry, incident });
      await this.reconcile(key, this.deps.now());
      await this.persist([key]);
      return this.cache.get(key)!.incident;
    });
  }

  preview(key: string, revealAddresses: boolean): string | undefined {
    const entry = this.cache.get(key);
    const policy = entry && this.policyOf(entry.incident);
    if (!entry || !policy) return undefined;
    return enforcementPreview({
      incident: entry.incident,
      policy,
      policyIncidents: this.policyIncidents(policy),
      view: this.deps.view,
      reveal: this.deps.reveal,
      enforcement: this.enforcement,
      revealAddresses,
      now: this.deps.now(),
    });
  }

  private async processNow(scored: readonly ScoredWindow[]): Promise<AlertFiring[]> {
    const { view, reveal } = this.deps;
    const now = this.deps.now();
    const rules = await this.rules.list();
    const byPolicy = new Map<string, StoredAlertRule[]>();
    for (const r of rules) byPolicy.set(r.policy, [...(byPolicy.get(r.policy) ?? []), r]);
    const merged = new Map<string, Merged>();
    const firings: AlertFiring[] = [];
    for (const s of scored) {
      const v = s.verdict;
      const e = v.entity;
      const resolved = resolveAll(
        e,
        e.addresses,
        v.targets.map((t) => t.address),
        reveal,
        view,
      );
      for (const ns of touchedNamespaces(e.namespace, resolved)) {
        for (const policy of this.deps.policies.filter((p) => p.metadata.namespace === ns)) {
          const geo = geometry(e.kind, resolved, { namespace: ns, selector: policy.spec.podSelector });
          if (!geo) continue;
          const criticality = resolveCriticality(
            policy.spec.criticality,
            geo.protectedPods,
            view.namespaceLabels(ns),
          );
          const score = policyScore(v.scores, policy.spec.weights, criticality);
          const policyKey = `${ns}/${policy.metadata.name}`;
          const hits = this.windows.observe(byPolicy.get(policyKey) ?? [], {
            row: s.row,
            verdict: v,
            threat: score.threat,
          });
          const name = incidentName(policy.metadata.name ?? '', e.kind, e.key);
          const key = `${ns}/${name}`;
          const exists = this.cache.has(key);
          // The controller sees published verdicts only; alert rules see every window.
          if (hits.length === 0 && (!s.publish || (!exists && score.threat < policy.spec.incidentThreshold)))
            continue;
          firings.push(
            ...hits.map((h) => ({
              rule: h.rule.id,
              entity: e.key,
              incident: key,
              value: h.value,
              firedAt: h.at,
            })),
          );
          const prediction = predictionWithin(v, policy.spec.forecastHorizonSeconds);
          merged.set(
            key,
            mergeObservation(merged.get(key), {
              policy,
              namespace: ns,
              name,
              entity: {
                kind: e.kind,
                key: e.key,
                ...(e.namespace ? { namespace: e.namespace } : {}),
                ...(e.workload ? { workload: e.workload } : {}),
              },
              verdict: v,
              score,
              ...(criticality ? { criticality } : {}),
              crossed: effectiveSteps(policy)
                .filter((st) => score.threat >= st.threshold)
                .map((st) => st.type),
              rulesFired: hits.map((h) => ({
                name: h.rule.name,
                severity: h.rule.severity,
                firedAt: isoTime(h.at),
              })),
              ...(prediction ? { prediction } : {}),
            }),
          );
        }
      }
    }
    const dirty = new Set<string>();
    for (const [key, m] of merged) {
      const entry = this.cache.get(key);
      const { status, memo } = observationPatch(m, entry?.incident, this.memos.get(key));
      this.memos.set(key, memo);
      const base: ThreatIncident = entry?.incident ?? {
        apiVersion: 'foresight.dev/v1alpha1',
        kind: 'ThreatIncident',
        metadata: { name: m.first.name, namespace: m.first.namespace, creationTimestamp: new Date(now) },
        spec: {
          policyRef: { name: m.first.policy.metadata.name ?? '' },
          entity: m.first.entity,
          release: false,
        },
      };
      this.cache.set(key, {
        incident: { ...base, status: mergePatch(base.status ?? {}, status) },
        createdAt: entry?.createdAt ?? now,
      });
      dirty.add(key);
    }
    // Incidents with new observations, and those whose TTL came due (the controller's requeueAfter).
    const todo = new Set(dirty);
    for (const [key, at] of this.due) if (at <= now) todo.add(key);
    for (const key of todo) {
      if (await this.reconcile(key, now)) dirty.add(key);
    }
    await this.persist([...dirty]);
    if (firings.length > 0) await this.rules.recordFirings(firings);
    return firings;
  }

  /** One incident pass; true when its status changed. */
  private async reconcile(key: string, now: number): Promise<boolean> {
    const entry = this.cache.get(key);
    if (!entry) return false;
    const { incident } = entry;
    const policy = this.policyOf(incident);
    if (!policy) return false;
    const { view, reveal, guard } = this.deps;
    const namespace = incident.metadata.namespace ?? '';
    const status = incident.status ?? {};
    const resolved = resolveAll(
      incident.spec.entity,
      status.addresses ?? [],
      (status.targets ?? []).map((t) => t.address),
      reveal,
      view,
    );
    const geo = geometry(incident.spec.entity.kind, resolved, {
      namespace,
      selector: policy.spec.podSelector,
    });
    const eligibility = decideEligibility({
      spec: policy.spec,
      namespace,
      incident: key,
      ...(incident.spec.entity.namespace ? { entityNamespace: incident.spec.entity.namespace } : {}),
      resolved,
      geometry: geo,
      guard,
      usage: this.ledger.usage(this.policyIncidents(policy), key),
      enforcement: this.enforcement,
      widening: { Ingress: [], Egress: [] },
    });
    const ladder = decideLadder(ladderInput(incident, policy, eligibility, now));
    if (ladder.requeueAfterMs === undefined) this.due.delete(key);
    else this.due.set(key, now + ladder.requeueAfterMs);
    let feedback = status.feedback;
    const verdict = incident.spec.verdict;
    if (verdict && feedback?.verdict !== verdict) {
      await recordFeedback(
        this.deps.db,
        {
          incident: key,
          kind: incident.spec.entity.kind,
          entity: incident.spec.entity.key,
          ...(status.window?.start ? { windowStart: Date.parse(status.window.start) } : {}),
          ...(status.window?.end ? { windowEnd: Date.parse(status.window.end) } : {}),
          verdict,
          ...(incident.metadata.annotations?.['foresight.dev/analyst']
            ? { analyst: incident.metadata.annotations['foresight.dev/analyst'] }
            : {}),
          ...(incident.spec.note ? { note: incident.spec.note } : {}),
        },
        this.deps.feedback,
      );
      feedback = { verdict, recordedAt: isoTime(now) };
      this.deps.onFeedback?.();
    }
    const direction = ladder.actions.find((a) => a.type === 'Block')?.direction ?? geo?.direction;
    const next: ThreatIncidentStatus = {
      ...status,
      phase: ladder.phase,
      action: ladder.strongest,
      actions: ladder.actions,
      enforcement: enforcementFor(this.enforcement, direction),
      ...(feedback ? { feedback } : {}),
    };
    this.ledger.record(key, ladder.actions);
    const auditAll = !this.audited.has(key);
    this.audited.add(key);
    const byType = new Map(ladder.actions.map((a) => [a.type, a]));
    const changed = auditAll
      ? ladder.actions
      : ladder.transitions.map((t) => byType.get(t.type)).filter((a) => a !== undefined);
    const next_ = { ...incident, status: next };
    if (changed.length > 0) await this.deps.audit.recordActions(auditRows(next_, policy, changed, now));
    if (jsonEqual(next, status)) return false;
    this.cache.set(key, { ...entry, incident: next_ });
    return true;
  }

  private policyIncidents(policy: ThreatPolicy): ThreatIncident[] {
    return [...this.cache.values()]
      .map((e) => e.incident)
      .filter(
        (i) =>
          i.metadata.namespace === policy.metadata.namespace &&
          i.spec.policyRef.name === policy.metadata.name,
      );
  }

  private async persist(keys: readonly string[]): Promise<void> {
    const now = this.deps.now();
    const rows: StoredIncident[] = [];
    for (const key of keys) {
      const entry = this.cache.get(key);
      if (!entry) continue;
      const ns = entry.incident.metadata.namespace ?? '';
      rows.push({
        key,
        policy: `${ns}/${entry.incident.spec.policyRef.name}`,
        spec: entry.incident.spec,
        status: entry.incident.status ?? {},
        createdAt: entry.createdAt,
        updatedAt: now,
      });
    }
    await this.incidents.upsert(rows);
    if (rows.length > 0) this.deps.onPersist?.(rows);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

export function toIncident(s: StoredIncident): ThreatIncident {
  const [namespace, name] = [s.key.slice(0, s.key.indexOf('/')), s.key.slice(s.key.indexOf('/') + 1)];
  return {
    apiVersion: 'foresight.dev/v1alpha1',
    kind: 'ThreatIncident',
    metadata: { namespace, name, creationTimestamp: new Date(s.createdAt) },
    spec: s.spec,
    status: s.status,
  };
}

/** JSON merge patch (RFC 7386) of a status, as the API server applies the controller's: objects merge, null removes. */
export function mergePatch<T extends object>(target: T, patch: T): T {
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) {
    const current = out[k];
    if (v === null) delete out[k];
    else if (v === undefined) continue;
    else if (isObject(v) && isObject(current)) out[k] = mergePatch<Record<string, unknown>>(current, v);
    else out[k] = v;
  }
  return out as T;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
