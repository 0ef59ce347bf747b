/** Overview: KPIs, traffic with forecast and capacity, scores, active incidents, actions, top talkers, alerts. */
import { api } from '../api.js';
import type { App, Page, TickData } from '../app.js';
import { legend, ScoreChart, TrafficChart } from '../charts.js';
import { badge, bytes, entityHref, h, num, relative, replace, scoreBar, shortEntity, time } from '../dom.js';
import type { Overview, Series } from './types.js';

export function overviewPage(app: App): Page {
  const kpi = (label: string, cls = '') => {
    const value = h('div', { class: 'value' }, '–');
    return { el: h('div', { class: `card kpi ${cls}` }, h('div', { class: 'label' }, label), value), value };
  };
  const k = {
    fps: kpi('Flows per second'),
    open: kpi('Open incidents', 'warn'),
    mitigated: kpi('Mitigated'),
    actions: kpi('Live actions'),
    threat: kpi('Peak threat (1 min)', 'bad'),
    flows: kpi('Flows, last hour'),
  };
  const scopeSelect = h('select', { 'aria-label': 'traffic scope' });
  const trafficEl = h('div', { class: 'chart', id: 'traffic-chart' });
  const scoreEl = h('div', { class: 'chart', id: 'score-chart' });
  const forecastNote = h('span', { class: 'hint' });
  const incidentsEl = h('div');
  const talkersEl = h('div');
  const actionsEl = h('div');
  const firingsEl = h('div');
  const traffic = new TrafficChart(trafficEl, 240);
  const scores = new ScoreChart(scoreEl, 240);
  let scope = '';
  let series: Series | undefined;
  let overview: Overview | undefined;

  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'topbar' },
      h('h1', {}, 'Overview'),
      h(
        'span',
        { class: 'sub' },
        app.session.mode === 'demo' ? 'simulated cluster, Monitor mode' : 'cluster',
      ),
    ),
    app.session.status && app.session.status.phase !== 'live'
      ? h(
          'div',
          { class: 'banner' },
          `Demo is ${app.session.status.phase.replace('-', ' ')}: detection starts once the models are trained on the first simulated half hour.`,
        )
      : null,
    h(
      'div',
      { class: 'grid kpis' },
      Object.values(k).map((x) => x.el),
    ),
    h(
      'div',
      { class: 'grid two' },
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Traffic', forecastNote, h('span', { class: 'right' }, scopeSelect)),
        trafficEl,
        legend([
          ['flows per minute', '#465fff'],
          ['forecast', '#7a5af8', 'dash'],
          ['interval', '#7a5af8', 'band'],
          ['capacity', '#f04438', 'dash'],
        ]),
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, 'Threat and anomaly', h('span', { class: 'hint' }, 'highest per minute')),
        scoreEl,
        legend([
          ['threat', '#f04438'],
          ['anomaly', '#f79009'],
          ['incident threshold', '#98a2b3', 'dash'],
          ['block threshold', '#b42318', 'dash'],
        ]),
      ),
    ),
    h(
      'div',
      { class: 'grid three-one', style: 'margin-top: 16px' },
      h(
        'div',
        { class: 'card' },
        h(
          'h2',
          {},
          'Active incidents',
          h('span', { class: 'right' }, h('a', { href: '#/incidents' }, 'All incidents')),
        ),
        incidentsEl,
      ),
      h(
        'div',
        { class: 'grid', style: 'align-content: start' },
        h('div', { class: 'card' }, h('h2', {}, 'Actions in force'), actionsEl),
        h('div', { class: 'card' }, h('h2', {}, 'Alert rules fired'), firingsEl),
      ),
    ),
    h(
      'div',
      { class: 'card', style: 'margin-top: 16px' },
      h('h2', {}, 'Top talkers', h('span', { class: 'hint' }, 'flows sent, last hour')),
      talkersEl,
    ),
  );

  scopeSelect.addEventListener('change', () => {
    scope = scopeSelect.value;
    void loadSeries();
  });

  const loadSeries = async () => {
    const q =
      scope === 'cluster'
        ? '?scope=cluster'
        : scope
          ? `?scope=namespace&key=${encodeURIComponent(scope)}`
          : '';
    series = await api.get<Series>(`/api/series${q}`);
    if (scopeSelect.options.length === 0) {
      for (const t of series.targets)
        scopeSelect.appendChild(h('option', { value: t.key }, `namespace ${t.key}`));
      scopeSelect.appendChild(h('option', { value: 'cluster' }, 'whole cluster (no forecast)'));
      scopeSelect.value = series.scope.scope === 'cluster' ? 'cluster' : series.scope.key;
    }
    forecastNote.textContent = series.forecast
      ? `forecast: ${series.forecast.model} v${series.forecast.version}, next ${Math.round((series.forecast.t.length * series.stepMs) / 60_000)} min`
      : '';
    traffic.update({
      now: series.now,
      traffic: series.traffic,
      ...(series.forecast ? { forecast: series.forecast } : {}),
      ...(series.capacity === undefined ? {} : { capacity: series.capacity }),
    });
    scores.update({
      now: series.now,
      t: series.scores.t,
      threat: series.scores.threat,
      anomaly: series.scores.anomaly,
      thresholds: series.thresholds,
    });
  };

  const loadOverview = async () => {
    overview = await api.get<Overview>('/api/overview');
    const o = overview;
    k.fps.value.textContent = num(o.flowsPerSecond);
    k.open.value.textContent = String(o.incidents.counts.Open ?? 0);
    k.mitigated.value.textContent = String(o.incidents.counts.Mitigated ?? 0);
    k.actions.value.textContent = String(o.actions.length);
    k.flows.value.textContent = num(o.totals.flows);
    renderIncidents(o);
    renderActions(o);
    renderFirings(o);
    renderTalkers(o);
  };

  const renderIncidents = (o: Overview) => {
    if (o.incidents.active.length === 0)
      return replace(incidentsEl, h('div', { class: 'empty' }, 'No open incidents.'));
    replace(
      incidentsEl,
      h(
        'table',
        { id: 'active-incidents' },
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Entity'),
            h('th', {}, 'Policy'),
            h('th', {}, 'Phase'),
            h('th', {}, 'Action'),
            h('th', {}, 'Threat'),
            h('th', {}, 'Last seen'),
          ),
        ),
        h(
          'tbody',
          {},
          o.incidents.active
            .slice(0, 12)
            .map((i) =>
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
                h(
                  'td',
                  {},
                  badge(i.phase),
                  i.verdict
                    ? [' ', badge(i.verdict === 'FalsePositive' ? 'false positive' : 'confirmed', i.verdict)]
                    : null,
                ),
                h('td', {}, i.action),
                h('td', {}, scoreBar(i.threat)),
                h('td', { class: 'muted' }, relative(i.lastSeen, o.now)),
              ),
            ),
        ),
      ),
    );
  };

  const renderActions = (o: Overview) => {
    if (o.actions.length === 0) return replace(actionsEl, h('div', { class: 'empty' }, 'Nothing in force.'));
    replace(
      actionsEl,
      h(
        'ul',
        { class: 'feed' },
        o.actions
          .slice(0, 8)
          .map((a) =>
            h(
              'li',
              {},
              badge(
                a.state === 'Intended'
                  ? `${a.type} · intended`
                  : a.state === 'PendingApproval'
                    ? `${a.type} · approval`
                    : a.type,
                a.state,
              ),
              h('a', { href: `#/incident/${a.incident}`, class: 'ellipsis' }, shortEntity(a.entity)),
              h(
                'span',
                { class: 'when', style: 'margin-left: auto' },
                a.expiresAt ? `expires ${relative(a.expiresAt, o.now)}` : '',
              ),
            ),
          ),
      ),
    );
  };

  const renderFirings = (o: Overview) => {
    if (o.firings.length === 0)
      return replace(firingsEl, h('div', { class: 'empty' }, 'No custom alert has fired.'));
    replace(
      firingsEl,
      h(
        'ul',
        { class: 'feed' },
        o.firings
          .slice(0, 6)
          .map((f) =>
            h(
              'li',
              {},
              h('span', { class: 'when' }, time(f.firedAt)),
              h('b', {}, f.rule.split('/').pop()),
              h('span', { class: 'ellipsis muted' }, shortEntity(f.entity)),
            ),
          ),
      ),
    );
  };

  const renderTalkers = (o: Overview) => {
    replace(
      talkersEl,
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', {}, 'Entity'),
            h('th', {}, 'Namespace'),
            h('th', { class: 'num' }, 'Flows'),
            h('th', { class: 'num' }, 'Bytes'),
            h('th', {}, 'Highest threat'),
          ),
        ),
        h(
          'tbody',
          {},
          o.topTalkers.map((t) =>
            h(
              'tr',
              { class: 'click', onclick: () => app.go(entityHref(t.kind, t.entity)) },
              h('td', {}, h('b', {}, shortEntity(t.entity))),
              h('td', { class: 'muted' }, t.namespace ?? 'outside the cluster'),
              h('td', { class: 'num' }, num(t.flows)),
              h('td', { class: 'num' }, bytes(t.bytes)),
              h('td', {}, scoreBar(t.maxThreat)),
            ),
          ),
        ),
      ),
    );
  };

  const refresh = () => Promise.all([loadOverview(), loadSeries()]).catch(() => undefined);
  void refresh();
  let pending = false;
  return {
    title: 'Overview',
    el,
    onLive(type, data) {
      if (type === 'tick') {
        const tick = data as TickData;
        k.threat.value.textContent = tick.score.threat === null ? '–' : tick.score.threat.toFixed(2);
      }
      if (pending) return;
      pending = true;
      void refresh().finally(() => {
        pending = false;
      });
    },
    destroy() {
      traffic.destroy();
      scores.destroy();
    },
  };
}
