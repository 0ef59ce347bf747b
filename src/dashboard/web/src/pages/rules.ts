/** Custom alert rules: list, create, edit, delete; and what fired recently. */
import { api, ApiError } from '../api.js';
import type { App, Page } from '../app.js';
import { badge, h, relative, replace, shortEntity, time, toast } from '../dom.js';
import type { Firing } from './types.js';

interface Rule {
  id: string;
  policy: string;
  name: string;
  entity?: string;
  metric: string;
  feature?: string;
  threshold: number;
  count: number;
  windowSeconds: number;
  severity: string;
  firings: number;
  lastFiredAt?: number;
}

interface RulesAnswer {
  rules: Rule[];
  policies: { key: string; mode: string }[];
  metrics: string[];
  entitySelectors: boolean;
  firings: Firing[];
}

const METRIC_LABEL: Record<string, string> = {
  threat: 'threat score',
  anomaly: 'anomaly score',
  impact: 'impact score',
  confidence: 'confidence',
  flows: 'flows per window',
  bytes: 'bytes per window',
};

function metricLabel(m: string): string {
  return METRIC_LABEL[m] ?? (m.startsWith('detector:') ? `${m.slice(9)} score` : m);
}

export function rulesPage(app: App): Page {
  const list = h('div');
  const fired = h('div');
  let data: RulesAnswer | undefined;
  const newBtn = h(
    'button',
    { class: 'btn primary', id: 'new-rule', disabled: !app.can('rules'), onclick: () => edit() },
    'New rule',
  );
  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'topbar' },
      h('h1', {}, 'Alert rules'),
      h(
        'span',
        { class: 'sub' },
        'alert when a score or traffic crosses a threshold, whatever the action ladder says',
      ),
      h('span', { class: 'spacer' }),
      newBtn,
    ),
    h(
      'div',
      { class: 'grid three-one' },
      h('div', { class: 'card' }, list),
      h('div', { class: 'card' }, h('h2', {}, 'Recently fired'), fired),
    ),
  );

  const edit = (rule?: Rule) => {
    if (!data) return;
    const d = data;
    const field = (label: string, input: HTMLElement, wide = false) =>
      h('label', { class: `field${wide ? ' wide' : ''}` }, label, input);
    const policy = h(
      'select',
      { name: 'policy' },
      d.policies.map((p) =>
        h('option', { value: p.key, selected: rule?.policy === p.key }, `${p.key} (${p.mode})`),
      ),
    );
    const name = h('input', {
      name: 'name',
      value: rule?.name ?? '',
      placeholder: 'e.g. busy-ingress',
      required: true,
    });
    const entity = h('input', {
      name: 'entity',
      value: rule?.entity ?? '',
      placeholder: d.entitySelectors ? 'every entity, or a glob: shop/*, ip:*' : 'scoped by the policy',
      disabled: !d.entitySelectors,
    });
    const metric = h(
      'select',
      { name: 'metric' },
      d.metrics.map((m) =>
        h('option', { value: m, selected: (rule?.metric ?? 'threat') === m }, metricLabel(m)),
      ),
    );
    const threshold = h('input', {
      name: 'threshold',
      type: 'number',
      step: 'any',
      min: '0',
      value: String(rule?.threshold ?? 0.7),
    });
    const count = h('input', { name: 'count', type: 'number', min: '1', value: String(rule?.count ?? 3) });
    const windowS = h('input', {
      name: 'windowSeconds',
      type: 'number',
      min: '10',
      value: String(rule?.windowSeconds ?? 300),
    });
    const severity = h(
      'select',
      { name: 'severity' },
      ['info', 'warning', 'critical'].map((s) =>
        h('option', { value: s, selected: (rule?.severity ?? 'warning') === s }, s),
      ),
    );
    const error = h('div', { class: 'error' });
    const close = () => back.remove();
    const save = async () => {
      const body = {
        policy: policy.value,
        name: name.value.trim(),
        ...(entity.value.trim() ? { entity: entity.value.trim() } : {}),
        metric: metric.value,
        threshold: Number(threshold.value),
        count: Number(count.value),
        windowSeconds: Number(windowS.value),
        severity: severity.value,
      };
      try {
        if (rule) await api.put(`/api/rules/${rule.id}`, body);
        else await api.post('/api/rules', body);
        close();
        toast(rule ? 'Rule saved' : 'Rule created: it counts from the next window');
        await load();
      } catch (err) {
        error.textContent = err instanceof ApiError ? err.message : String(err);
      }
    };
    const back = h(
      'div',
      { class: 'modal-back', onclick: (e: Event) => e.target === back && close() },
      h(
        'div',
        { class: 'modal', role: 'dialog' },
        h('h3', {}, rule ? `Edit ${rule.name}` : 'New alert rule'),
        h(
          'div',
          { class: 'form' },
          field('Policy', policy),
          field('Name', name),
          field('Entities', entity, true),
          field('Metric', metric),
          field('Threshold (at least)', threshold),
          field('Windows needed', count),
          field('Within (seconds)', windowS),
          field('Severity', severity),
        ),
        error,
        h(
          'div',
          { class: 'btns' },
          h('button', { class: 'btn', onclick: close }, 'Cancel'),
          h(
            'button',
            { class: 'btn primary', id: 'save-rule', onclick: () => void save() },
            rule ? 'Save' : 'Create',
          ),
        ),
      ),
    );
    document.body.appendChild(back);
    name.focus();
  };

  const remove = async (rule: Rule) => {
    if (!confirm(`Delete the alert rule ${rule.name}?`)) return;
    await api.del(`/api/rules/${rule.id}`);
    toast('Rule deleted');
    await load();
  };

  const load = async () => {
    data = await api.get<RulesAnswer>('/api/rules');
    const d = data;
    replace(
      list,
      d.rules.length === 0
        ? h('div', { class: 'empty' }, 'No custom rules yet. Create one to alert on a score or on traffic.')
        : h(
            'table',
            { id: 'rules' },
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Rule', 'Policy', 'Entities', 'Condition', 'Severity', 'Fired', ''].map((t) =>
                  h('th', {}, t),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              d.rules.map((r) =>
                h(
                  'tr',
                  { 'data-rule': r.id },
                  h('td', {}, h('b', {}, r.name)),
                  h('td', { class: 'muted' }, r.policy),
                  h('td', { class: 'mono' }, r.entity ?? 'all'),
                  h(
                    'td',
                    {},
                    `${metricLabel(r.metric)} ≥ ${r.threshold}`,
                    h(
                      'div',
                      { class: 'muted' },
                      `${r.count}× within ${r.windowSeconds >= 120 ? `${Math.round(r.windowSeconds / 60)} min` : `${r.windowSeconds} s`}`,
                    ),
                  ),
                  h('td', {}, badge(r.severity)),
                  h(
                    'td',
                    { class: 'fired' },
                    r.firings > 0
                      ? [
                          h('b', {}, String(r.firings)),
                          h('div', { class: 'muted' }, relative(r.lastFiredAt, app.now())),
                        ]
                      : h('span', { class: 'muted' }, 'never'),
                  ),
                  h(
                    'td',
                    {},
                    h(
                      'div',
                      { class: 'btns' },
                      h(
                        'button',
                        { class: 'btn small', disabled: !app.can('rules'), onclick: () => edit(r) },
                        'Edit',
                      ),
                      h(
                        'button',
                        {
                          class: 'btn small danger',
                          disabled: !app.can('rules'),
                          onclick: () => void remove(r),
                        },
                        'Delete',
                      ),
                    ),
                  ),
                ),
              ),
            ),
          ),
    );
    replace(
      fired,
      d.firings.length === 0
        ? h('div', { class: 'empty' }, 'Nothing yet.')
        : h(
            'ul',
            { class: 'feed', id: 'firings' },
            d.firings.map((f) =>
              h(
                'li',
                {},
                h('span', { class: 'when' }, time(f.firedAt)),
                h('b', {}, f.rule.split('/').pop()),
                f.incident
                  ? h('a', { class: 'ellipsis', href: `#/incident/${f.incident}` }, shortEntity(f.entity))
                  : h('span', { class: 'ellipsis' }, shortEntity(f.entity)),
              ),
            ),
          ),
    );
  };
  void load();
  let pending = false;
  return {
    title: 'Alert rules',
    el,
    onLive(type) {
      if (type !== 'alert' || pending) return;
      pending = true;
      void load().finally(() => (pending = false));
    },
  };
}
