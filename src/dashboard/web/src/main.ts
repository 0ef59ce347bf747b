/**
 * The dashboard's shell: sidebar, hash routing (#/, #/incidents, #/incident/<ns>/<name>, #/graph,
 * #/rules, #/models, #/entity/<kind>/<key>), the session, and the live stream handed to the page
 * on screen. Without a token it shows the sign-in form.
 */
import './styles.css';
import { api, ApiError, openStream, setToken, takeTokenFromUrl, token } from './api.js';
import type { App, Page, Session, TickData } from './app.js';
import { h, replace, svgIcon, time } from './dom.js';
import { entityPage } from './pages/entity.js';
import { graphPage } from './pages/graph.js';
import { incidentPage } from './pages/incident.js';
import { incidentsPage } from './pages/incidents.js';
import { modelsPage } from './pages/models.js';
import { overviewPage } from './pages/overview.js';
import { rulesPage } from './pages/rules.js';

const ICONS = {
  overview: 'M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z',
  incidents: 'M12 9v4m0 4h.01M10.3 3.9L1.8 18a2 2 0 001.7 3h17a2 2 0 001.7-3L13.7 3.9a2 2 0 00-3.4 0z',
  graph:
    'M5 12a2 2 0 104 0 2 2 0 00-4 0zm10-6a2 2 0 104 0 2 2 0 00-4 0zm0 12a2 2 0 104 0 2 2 0 00-4 0zM9 11l6-4m-6 6l6 4',
  rules:
    'M15 17h5l-1.4-1.4A2 2 0 0118 14.2V11a6 6 0 00-4-5.7V5a2 2 0 10-4 0v.3A6 6 0 006 11v3.2a2 2 0 01-.6 1.4L4 17h5m6 0v1a3 3 0 11-6 0v-1m6 0H9',
  models:
    'M4 7v10c0 2.2 3.6 4 8 4s8-1.8 8-4V7M4 7c0 2.2 3.6 4 8 4s8-1.8 8-4M4 7c0-2.2 3.6-4 8-4s8 1.8 8 4m0 5c0 2.2-3.6 4-8 4s-8-1.8-8-4',
};

const LOGO = 'M12 3c-5 0-9 4.5-10 9 1 4.5 5 9 10 9s9-4.5 10-9c-1-4.5-5-9-10-9zm0 5a4 4 0 110 8 4 4 0 010-8z';

let page: Page | undefined;
let now = 0;
let openCount = 0;
let stopStream: (() => void) | undefined;

function route(app: App): Page {
  const parts = location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter((p) => p !== '');
  const [head, ...rest] = parts;
  switch (head) {
    case undefined:
    case '':
      return overviewPage(app);
    case 'incidents':
      return incidentsPage(app);
    case 'incident':
      return incidentPage(app, rest[0] ?? '', rest.slice(1).join('/'));
    case 'graph':
      return graphPage(app);
    case 'rules':
      return rulesPage(app);
    case 'models':
      return modelsPage(app);
    case 'entity':
      return entityPage(app, rest[0] ?? 'source', decodeURIComponent(rest.slice(1).join('/')));
    default:
      return overviewPage(app);
  }
}

function login(message?: string): void {
  stopStream?.();
  const input = h('textarea', { rows: 4, placeholder: 'Bearer token', 'aria-label': 'token' });
  const root = document.getElementById('app')!;
  replace(
    root,
    h(
      'div',
      { class: 'card login' },
      h('div', { class: 'brand', style: 'color: var(--ink)' }, svgIcon(LOGO), 'Foresight'),
      h(
        'p',
        { class: 'muted' },
        'Sign in with a bearer token: the demo prints its URL with one; in a cluster use a ServiceAccount token, e.g. ',
        h('span', { class: 'mono' }, 'kubectl create token <account>'),
        '.',
      ),
      input,
      message ? h('div', { class: 'error' }, message) : null,
      h(
        'div',
        { class: 'btns', style: 'margin-top: 14px' },
        h(
          'button',
          {
            class: 'btn primary',
            onclick: () => {
              setToken(input.value.trim());
              void start();
            },
          },
          'Sign in',
        ),
      ),
    ),
  );
}

async function start(): Promise<void> {
  takeTokenFromUrl();
  if (!token()) return login();
  let session: Session;
  try {
    session = await api.get<Session>('/api/session');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setToken(null);
      return login('That token was not accepted.');
    }
    return login(`The dashboard did not answer: ${(err as Error).message}`);
  }
  now = session.now;
  const app: App = {
    session,
    now: () => now,
    can: (p) => session.permissions[p] === true,
    go: (hash) => {
      location.hash = hash;
    },
  };
  const root = document.getElementById('app')!;
  const navLinks = new Map<string, HTMLAnchorElement>();
  const link = (href: string, label: string, icon: string, key: string) => {
    const a = h('a', { href }, svgIcon(icon), label);
    navLinks.set(key, a);
    return a;
  };
  const count = h('span', { class: 'count', hidden: true }, '0');
  navLinks.get('incidents');
  const clock = h('div', { class: 'clock' }, time(now));
  const dot = h('span', { class: 'live-dot' });
  const liveText = h('span', {}, 'connecting…');
  const main = h('main', { class: 'main' });
  const incidentsLink = link('#/incidents', 'Incidents', ICONS.incidents, 'incidents');
  incidentsLink.appendChild(count);
  replace(
    root,
    h(
      'div',
      { class: 'shell' },
      // The dark column runs the page's full height; its contents stay in view while it scrolls.
      h(
        'aside',
        { class: 'side' },
        h(
          'div',
          { class: 'side-inner' },
          h('div', { class: 'brand' }, svgIcon(LOGO), 'Foresight'),
          h(
            'nav',
            { class: 'nav' },
            link('#/', 'Overview', ICONS.overview, ''),
            incidentsLink,
            link('#/graph', 'Connections', ICONS.graph, 'graph'),
            link('#/rules', 'Alert rules', ICONS.rules, 'rules'),
            link('#/models', 'Models', ICONS.models, 'models'),
          ),
          h(
            'div',
            { class: 'side-foot' },
            h('div', {}, session.mode === 'demo' ? 'Demo · simulated time (UTC)' : 'Cluster · UTC'),
            clock,
            h('div', {}, dot, liveText),
            h('div', { class: 'muted' }, session.user),
          ),
        ),
      ),
      main,
    ),
  );
  const render = () => {
    page?.destroy?.();
    page = route(app);
    const head = (location.hash.replace(/^#\/?/, '').split('/')[0] ?? '')
      .replace('incident', 'incidents')
      .replace('incidentss', 'incidents');
    for (const [key, a] of navLinks)
      a.classList.toggle('active', key === head || (key === '' && head === ''));
    document.title = `${page.title} · Foresight`;
    replace(main, page.el);
  };
  window.onhashchange = render;
  render();
  stopStream?.();
  stopStream = openStream(
    (type, data) => {
      if (type === 'tick') {
        const tick = data as TickData;
        now = tick.now;
        clock.textContent = time(now);
        openCount = (tick.incidents.Open ?? 0) + (tick.incidents.Mitigated ?? 0);
        count.textContent = String(openCount);
        count.hidden = openCount === 0;
      }
      page?.onLive?.(type, data);
    },
    (connected) => {
      dot.classList.toggle('on', connected);
      liveText.textContent = connected ? 'live' : 'reconnecting…';
    },
  );
}

void start();
