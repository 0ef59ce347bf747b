/**
 * The monitoring the chart ships: the Grafana dashboard loads (valid JSON, a datasource
 * variable, panels with queries) and every query, like every alert expression of the
 * PrometheusRule, names only metrics the code exports and labels those metrics carry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  checkExpression,
  documentedMetrics,
  exportedMetrics,
  type MetricInfo,
} from '../support/metrics-catalog.js';
import { CHART, parseManifests, render, valueFiles } from './support.js';

interface Target {
  expr?: string;
  refId?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  title: string;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
  annotations?: { list: { expr?: string }[] };
}
interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

describe('monitoring', () => {
  let exported: Map<string, MetricInfo>;
  before(async () => {
    exported = await exportedMetrics();
  });

  describe('the Grafana dashboard', () => {
    const text = readFileSync(join(CHART, 'dashboards/foresight.json'), 'utf8');
    const dashboard = JSON.parse(text) as Dashboard;
    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const queryPanels = panels.filter((p) => p.type !== 'row');

    it('loads: a titled dashboard with a Prometheus datasource variable and laid-out panels', () => {
      assert.equal(dashboard.title, 'Foresight');
      assert.ok(dashboard.uid);
      assert.ok(dashboard.templating.list.some((v) => v.name === 'datasource' && v.type === 'datasource'));
      assert.ok(queryPanels.length >= 20, `${queryPanels.length} panels`);
      const ids = panels.map((p) => p.id);
      assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
      for (const p of panels) {
        assert.ok(p.title, `panel ${p.id} has a title`);
        const g = p.gridPos;
        assert.ok(
          g && g.w > 0 && g.h > 0 && g.x >= 0 && g.x + g.w <= 24,
          `panel ${p.title} fits the 24-column grid`,
        );
      }
    });

    it('gives every panel at least one query', () => {
      for (const p of queryPanels) {
        assert.ok(p.targets && p.targets.length > 0, `${p.title}: no targets`);
        for (const t of p.targets) assert.ok(t.expr && t.refId, `${p.title}: a target without expr or refId`);
      }
    });

    it('queries only metrics the code exports, with their labels', () => {
      const exprs = [
        ...queryPanels.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')),
        ...dashboard.templating.list.flatMap((v) => (v.definition ? [v.definition] : [])),
        ...(dashboard.annotations?.list ?? []).flatMap((a) => (a.expr ? [a.expr] : [])),
      ];
      const problems = exprs.flatMap((e) => checkExpression(e, exported));
      assert.deepEqual(problems, []);
    });

    it('scopes every query to the selected namespace', () => {
      for (const p of queryPanels)
        for (const t of p.targets ?? [])
          for (const selector of (t.expr ?? '').matchAll(/foresight_[a-z0-9_]+(\{[^}]*\})?/g))
            assert.match(selector[1] ?? '', /namespace="\$namespace"/, `${p.title}: ${t.expr}`);
    });

    it('shows every documented metric family of the detector and the controller somewhere', () => {
      const used = new Set(
        queryPanels.flatMap((p) =>
          (p.targets ?? []).flatMap((t) =>
            [...(t.expr ?? '').matchAll(/foresight_[a-z0-9_]+/g)].map((m) =>
              m[0].replace(/_(bucket|sum|count)$/, ''),
            ),
          ),
        ),
      );
      const unshown = documentedMetrics()
        .map((d) => d.name)
        .filter((n) => !/^foresight_(process|nodejs)_/.test(n) && !used.has(n));
      assert.deepEqual(unshown, [], 'add a panel, or leave it out of the dashboard on purpose here');
    });
  });

  describe('the PrometheusRule', () => {
    let rules: AlertRule[];
    before(async () => {
      const manifests = parseManifests(await render({ files: valueFiles('monitoring') }));
      const rule = manifests.find((m) => m.kind === 'PrometheusRule');
      assert.ok(rule, 'rendered with monitoring.prometheusRule.enabled');
      rules = (rule as unknown as { spec: { groups: { rules: AlertRule[] }[] } }).spec.groups.flatMap(
        (g) => g.rules,
      );
    });

    it('alerts on consumer lag, dead letters, reconcile errors and predicted threats', () => {
      const byMetric = (metric: string) => rules.filter((r) => r.alert && r.expr.includes(metric));
      for (const metric of [
        'foresight_consumer_pending_messages',
        'foresight_dead_letters_total',
        'foresight_controller_reconcile_errors_total',
        'foresight_verdicts_published_total',
      ])
        assert.ok(byMetric(metric).length > 0, `no alert on ${metric}`);
    });

    it('names only exported metrics and their labels, scoped to the release namespace', () => {
      const problems = rules.flatMap((r) => checkExpression(r.expr, exported));
      assert.deepEqual(problems, []);
      for (const r of rules) assert.match(r.expr, /namespace="foresight"/, r.alert);
    });

    it('gives every alert a severity, a summary and a Prometheus duration', () => {
      for (const r of rules) {
        assert.ok(r.alert, 'alerting rules only');
        assert.match(r.labels?.severity ?? '', /^(critical|warning|info)$/, r.alert);
        assert.ok(r.annotations?.summary, `${r.alert}: summary`);
        assert.match(r.for ?? '', /^([0-9]+(ms|s|m|h|d|w|y))+$/, `${r.alert}: for`);
      }
    });
  });

  it('ships the dashboard file verbatim in the sidecar ConfigMap', async () => {
    const manifests = parseManifests(await render({ files: valueFiles('monitoring') }));
    const cm = manifests.find((m) => m.kind === 'ConfigMap' && m.metadata.labels?.grafana_dashboard === '1');
    assert.ok(cm, 'a ConfigMap labelled grafana_dashboard: "1"');
    assert.equal(cm.metadata.namespace, 'monitoring');
    const data = (cm as unknown as { data: Record<string, string> }).data;
    assert.deepEqual(
      JSON.parse(data['foresight.json']!),
      JSON.parse(readFileSync(join(CHART, 'dashboards/foresight.json'), 'utf8')),
    );
  });
});
