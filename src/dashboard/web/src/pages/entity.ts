/** One entity: its traffic with forecast, its verdicts, incidents and a sample of its flows. */
import { api } from '../api.js';
import type { App, Page } from '../app.js';
import { legend, ScoreChart, TrafficChart } from '../charts.js';
import { badge, h, relative, replace, scoreBar, shortEntity, time } from '../dom.js';
import type { IncidentSummary, StoredFlow } from './types.js';

interface EntityDetail {
  now: number;
  entity: string;
  kind: string;
  traffic: { t: number[]; flows: number[] };
  forecast?: { t: number[]; yhat: number[]; lower: number[]; upper: number[] };
  timeline: { t: number; threat: number; anomaly: number }[];
  latest?: { explanation: { summary: string } };
  incidents: IncidentSummary[];
  flows: StoredFlow[];
}

export function entityPage(app: App, kind: string, key: string): Page {
  const trafficEl = h('div', { class: 'chart' });
  const scoreEl = h('div', { class: 'chart' });
  const traffic = new TrafficChart(trafficEl, 200);
  const scores = new ScoreChart(scoreEl, 200);
  const summary = h('div');
  const incidents = h('div');
  const flows = h('div');
  const el = h(
    'div',
    {},
    h('div', { class: 'topbar' }, h('h1', {}, shortEntity(key)), badge(kind, 'kind')),
    summary,
    h(
      'div',
      { class: 'grid two' },
      h(
        'div',
        { class: 'card' },
        h(
          'h2',
          {},
          'Traffic',
          h('span', { class: 'hint' }, 'flows per minute, forecast where the entity is a forecast target'),
        ),
        trafficEl,
        legend([
          ['flows', '#465fff'],
          ['forecast', '#7a5af8', 'dash'],
          ['interval', '#7a5af8', 'band'],
        ]),
      ),
      h('div', { class: 'card' }, h('h2', {}, 'Verdicts'), scoreEl),
    ),
    h(
      'div',
      { class: 'grid two', style: 'margin-top: 16px' },
      h('div', { class: 'card' }, h('h2', {}, 'Incidents'), incidents),
      h('div', { class: 'card' }, h('h2', {}, 'Recent flows'), flows),
    ),
  );
  const load = async () => {
    const d = await api.get<EntityDetail>(
      `/api/entities/${kind}/${encodeURIComponent(key).replaceAll('%2F', '/')}`,
    );
    replace(
      summary,
      d.latest?.explanation.summary ? h('div', { class: 'summary' }, d.latest.explanation.summary) : null,
    );
    traffic.update({ now: d.now, traffic: d.traffic, ...(d.forecast ? { forecast: d.forecast } : {}) });
    scores.update({
      now: d.now,
      t: d.timeline.map((p) => p.t),
      threat: d.timeline.map((p) => p.threat),
      anomaly: d.timeline.map((p) => p.anomaly),
      thresholds: app.session.thresholds,
    });
    replace(
      incidents,
      d.incidents.length === 0
        ? h('div', { class: 'empty' }, 'None.')
        : h(
            'table',
            {},
            h(
              'tbody',
              {},
              d.incidents.map((i) =>
                h(
                  'tr',
                  { class: 'click', onclick: () => app.go(`#/incident/${i.key}`) },
                  h('td', {}, i.policy),
                  h('td', {}, badge(i.phase)),
                  h('td', {}, i.action),
                  h('td', {}, scoreBar(i.threat)),
                  h('td', { class: 'muted' }, relative(i.lastSeen, d.now)),
                ),
              ),
            ),
          ),
    );
    replace(
      flows,
      d.flows.length === 0
        ? h('div', { class: 'empty' }, 'None sampled.')
        : h(
            'table',
            {},
            h(
              'tbody',
              {},
              d.flows
                .slice(0, 15)
                .map((f) =>
                  h(
                    'tr',
                    {},
                    h('td', { class: 'mono' }, time(f.ts)),
                    h('td', { class: 'mono ellipsis' }, shortEntity(f.dstEntity ?? f.dst)),
                    h('td', { class: 'num' }, f.dstPort === undefined ? '' : String(f.dstPort)),
                    h('td', {}, f.action),
                  ),
                ),
            ),
          ),
    );
  };
  void load();
  let pending = false;
  return {
    title: shortEntity(key),
    el,
    onLive(type) {
      if (type !== 'tick' || pending) return;
      pending = true;
      void load().finally(() => (pending = false));
    },
    destroy() {
      traffic.destroy();
      scores.destroy();
    },
  };
}
