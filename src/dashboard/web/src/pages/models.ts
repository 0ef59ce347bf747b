/** Models: every registry version with its validation figures; promote, roll back, retrain. */
import { api, ApiError } from '../api.js';
import type { App, Page } from '../app.js';
import { badge, dateTime, h, num, replace, toast } from '../dom.js';

interface Version {
  name: string;
  version: number;
  status: string;
  trainingRows: number;
  trainedFrom?: number;
  trainedTo?: number;
  createdAt: number;
  promotedAt?: number;
  note?: string;
  metrics: { quality?: number; validation?: Record<string, unknown>; active?: { quality?: number } };
}

interface Models {
  models: { name: string; active?: number; versions: Version[] }[];
}

function figure(v: Version, key: string): string {
  const x = v.metrics.validation?.[key];
  return typeof x === 'number' ? x.toFixed(3) : '–';
}

export function modelsPage(app: App): Page {
  const body = h('div');
  const retrain = app.session.canRetrain
    ? h(
        'button',
        {
          class: 'btn primary',
          disabled: !app.can('models'),
          onclick: () => {
            void api
              .post('/api/models/retrain', {})
              .then(() => toast('Training started: new versions appear here when validated'));
          },
        },
        'Retrain now',
      )
    : null;
  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'topbar' },
      h('h1', {}, 'Models'),
      h('span', { class: 'sub' }, 'registry versions, validated on a time-ordered holdout'),
      h('span', { class: 'spacer' }),
      retrain,
    ),
    body,
  );
  const run = async (fn: () => Promise<unknown>, done: string) => {
    try {
      await fn();
      toast(done);
      await load();
    } catch (err) {
      toast(err instanceof ApiError ? err.message : String(err));
    }
  };
  const load = async () => {
    const { models } = await api.get<Models>('/api/models');
    if (models.length === 0) return replace(body, h('div', { class: 'card empty' }, 'No model trained yet.'));
    replace(
      body,
      h(
        'div',
        { class: 'grid two' },
        models.map((m) =>
          h(
            'div',
            { class: 'card', 'data-model': m.name },
            h(
              'h2',
              {},
              m.name,
              h(
                'span',
                { class: 'right' },
                m.active === undefined
                  ? badge('none active', 'Refused')
                  : badge(`v${m.active} active`, 'active'),
                ' ',
                h(
                  'button',
                  {
                    class: 'btn small',
                    disabled: !app.can('models') || m.active === undefined,
                    onclick: () =>
                      void run(
                        () => api.post(`/api/models/${encodeURIComponent(m.name)}/rollback`, {}),
                        `${m.name} rolled back`,
                      ),
                  },
                  'Roll back',
                ),
              ),
            ),
            h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Version', 'Status', 'Quality', 'Precision', 'Recall', 'Rows', 'Trained on', ''].map((t) =>
                    h('th', {}, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                m.versions.slice(0, 6).map((v) =>
                  h(
                    'tr',
                    { title: v.note ?? '' },
                    h('td', {}, h('b', {}, `v${v.version}`)),
                    h('td', {}, badge(v.status)),
                    h(
                      'td',
                      { class: 'num' },
                      typeof v.metrics.quality === 'number' ? v.metrics.quality.toFixed(3) : '–',
                    ),
                    h('td', { class: 'num' }, figure(v, 'precision')),
                    h('td', { class: 'num' }, figure(v, 'recall')),
                    h('td', { class: 'num' }, num(v.trainingRows)),
                    h(
                      'td',
                      { class: 'muted' },
                      v.trainedTo ? `until ${dateTime(v.trainedTo)}` : dateTime(v.createdAt),
                    ),
                    h(
                      'td',
                      {},
                      v.status !== 'active' && v.status !== 'rejected'
                        ? h(
                            'button',
                            {
                              class: 'btn small',
                              disabled: !app.can('models'),
                              onclick: () =>
                                void run(
                                  () =>
                                    api.post(`/api/models/${encodeURIComponent(m.name)}/promote`, {
                                      version: v.version,
                                    }),
                                  `${m.name} v${v.version} promoted`,
                                ),
                            },
                            'Promote',
                          )
                        : '',
                    ),
                  ),
                ),
              ),
            ),
            m.versions[0]?.note
              ? h('div', { class: 'muted', style: 'margin-top: 8px; font-size: 12.5px' }, m.versions[0].note)
              : null,
          ),
        ),
      ),
    );
  };
  void load();
  return {
    title: 'Models',
    el,
    onLive(type) {
      if (type === 'models') void load();
    },
  };
}
