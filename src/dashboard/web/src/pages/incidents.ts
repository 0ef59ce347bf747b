/** Incidents: every incident with its phase, strongest action, threat and analyst verdict. */
import { api } from '../api.js';
import type { App, Page } from '../app.js';
import { badge, h, relative, replace, scoreBar, shortEntity } from '../dom.js';
import type { IncidentSummary } from './types.js';

const FILTERS: [string, string][] = [
  ['Open,Mitigated', 'Active'],
  ['', 'All'],
  ['Expired,Released', 'Closed'],
];

export function incidentsPage(app: App): Page {
  const body = h('div');
  let filter = 'Open,Mitigated';
  const buttons = FILTERS.map(([value, label]) => {
    const b = h(
      'button',
      {
        class: `btn small${value === filter ? ' primary' : ''}`,
        onclick: () => {
          filter = value;
          buttons.forEach((x, i) => x.classList.toggle('primary', FILTERS[i]![0] === value));
          void load();
        },
      },
      label,
    );
    return b;
  });
  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'topbar' },
      h('h1', {}, 'Incidents'),
      h('span', { class: 'spacer' }),
      h('div', { class: 'btns' }, buttons),
    ),
    h('div', { class: 'card' }, body),
  );
  const load = async () => {
    const { incidents, now } = await api.get<{ incidents: IncidentSummary[]; now: number }>(
      `/api/incidents?limit=300${filter ? `&phase=${filter}` : ''}`,
    );
    if (incidents.length === 0) return replace(body, h('div', { class: 'empty' }, 'No incidents here.'));
    const sorted = [...incidents].sort((a, b) => b.threat - a.threat);
    replace(
      body,
      h(
        'table',
        { id: 'incidents' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            [
              'Entity',
              'Policy',
              'Phase',
              'Action',
              'Threat',
              'Verdicts',
              'First seen',
              'Last seen',
              'Analyst',
            ].map((t) => h('th', {}, t)),
          ),
        ),
        h(
          'tbody',
          {},
          sorted.map((i) =>
            h(
              'tr',
              { class: 'click', 'data-key': i.key, onclick: () => app.go(`#/incident/${i.key}`) },
              h(
                'td',
                { class: 'ellipsis' },
                h('b', {}, shortEntity(i.entity.key)),
                ' ',
                h('span', { class: 'muted' }, i.entity.kind),
              ),
              h('td', { class: 'muted' }, i.policy),
              h('td', {}, badge(i.phase)),
              h(
                'td',
                {},
                i.action,
                i.pendingApproval ? [' ', badge('needs approval', 'PendingApproval')] : null,
              ),
              h('td', {}, scoreBar(i.threat)),
              h('td', { class: 'num' }, String(i.verdictCount)),
              h('td', { class: 'muted' }, relative(i.firstSeen, now)),
              h('td', { class: 'muted' }, relative(i.lastSeen, now)),
              h(
                'td',
                {},
                i.verdict
                  ? badge(i.verdict === 'FalsePositive' ? 'false positive' : 'true positive', i.verdict)
                  : '',
              ),
            ),
          ),
        ),
      ),
    );
  };
  void load();
  let pending = false;
  return {
    title: 'Incidents',
    el,
    onLive(type) {
      if (type !== 'incidents' || pending) return;
      pending = true;
      void load().finally(() => (pending = false));
    },
  };
}
