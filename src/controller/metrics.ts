/**
 * The controller's metrics. Gauges of incidents by phase and active actions by type are
 * computed from the informer cache at scrape time, so they are always what the cluster holds.
 */
import { Gauge } from 'prom-client';
import { counter, gauge, histogram, type Registry } from '../observability/metrics.js';
import type { ThreatIncident } from './threatpolicy/crd-types.js';
import { IncidentPhaseValues } from './threatpolicy/crd-types.js';

export class ControllerMetrics {
  readonly reconciles;
  readonly reconcileErrors;
  readonly reconcileSeconds;
  readonly queueDepth;
  readonly verdicts;
  readonly verdictToAction;
  readonly actions;
  readonly incidentsDropped;
  readonly leader;
  readonly informerRestarts;
  readonly apiRequests;

  constructor(
    private readonly registry: Registry,
    incidents: () => readonly ThreatIncident[],
  ) {
    this.reconciles = counter(
      registry,
      'foresight_controller_reconcile_total',
      'Reconciles by controller and result',
      ['controller', 'result'],
    );
    this.reconcileErrors = counter(
      registry,
      'foresight_controller_reconcile_errors_total',
      'Failed reconciles by controller',
      ['controller'],
    );
    this.reconcileSeconds = histogram(
      registry,
      'foresight_controller_reconcile_duration_seconds',
      'Reconcile duration',
      ['controller'],
    );
    this.queueDepth = gauge(registry, 'foresight_controller_queue_depth', 'Keys waiting in the work queue', [
      'controller',
    ]);
    this.verdicts = counter(registry, 'foresight_controller_verdicts_total', 'Verdicts consumed by result', [
      'result',
    ]);
    this.verdictToAction = histogram(
      registry,
      'foresight_controller_verdict_to_action_seconds',
      'From the scoring of the verdict that crossed a threshold to the action decided and applied',
      ['action'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.actions = counter(
      registry,
      'foresight_controller_actions_total',
      'Action state changes by action and new state',
      ['action', 'state'],
    );
    this.incidentsDropped = counter(
      registry,
      'foresight_controller_incidents_dropped_total',
      'New incidents not opened because of the policy bound',
    );
    this.leader = gauge(registry, 'foresight_controller_leader', '1 while this replica is the leader');
    this.informerRestarts = counter(
      registry,
      'foresight_controller_informer_restarts_total',
      'Informer restarts after watch failures',
      ['resource'],
    );
    this.apiRequests = histogram(
      registry,
      'foresight_controller_api_request_duration_seconds',
      'Kubernetes API requests',
      ['method', 'code'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30],
    );
    this.cacheGauge('foresight_controller_incidents', 'ThreatIncidents by phase', ['phase'], (set) => {
      const counts = new Map<string, number>(IncidentPhaseValues.map((p) => [p, 0]));
      for (const inc of incidents()) {
        const phase = inc.status?.phase ?? 'Open';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) set({ phase }, n);
    });
    this.cacheGauge(
      'foresight_controller_active_actions',
      'Actions in force (Active) or intended (Monitor) by type',
      ['action', 'state'],
      (set) => {
        const counts = new Map<string, number>();
        for (const t of ['Alert', 'RateLimit', 'Block', 'Quarantine'])
          for (const s of ['Active', 'Intended']) counts.set(`${t}|${s}`, 0);
        for (const inc of incidents()) {
          for (const a of inc.status?.actions ?? []) {
            const k = `${a.type}|${a.state}`;
            if (counts.has(k)) counts.set(k, (counts.get(k) ?? 0) + 1);
          }
        }
        for (const [k, n] of counts) {
          const [action = '', state = ''] = k.split('|');
          set({ action, state }, n);
        }
      },
    );
  }

  private cacheGauge(
    name: string,
    help: string,
    labelNames: string[],
    fill: (set: (labels: Record<string, string>, v: number) => void) => void,
  ): void {
    if (this.registry.getSingleMetric(name)) this.registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect() {
        this.reset();
        fill((labels, v) => this.set(labels, v));
      },
    });
  }
}
