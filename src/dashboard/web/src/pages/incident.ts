/**
 * One incident: the threat broken into anomaly, impact and confidence; the explanation (features
 * and detectors); the score timeline; actions with their expiry; what Enforce would apply; a
 * sample of the entity's flows; the audit log; and the analyst's buttons.
 */
import { api, ApiError } from '../api.js';
import type { App, Page } from '../app.js';
import { ScoreChart, legend } from '../charts.js';
import {
  badge,
  bytes,
  entityHref,
  h,
  relative,
  replace,
  scoreColor,
  shortEntity,
  time,
  toast,
} from '../dom.js';
import type { IncidentSummary, StoredFlow } from './types.js';

interface ActionStatus {
  type: string;
  state: string;
  reason?: string;
  message?: string;
  since?: string;
  expiresAt?: string;
  direction?: string;
  pods?: string[];
  addresses?: string[];
}

interface Detail {
  now: number;
  incident: IncidentSummary & {
    spec: { verdict?: string; approve?: string[]; release: boolean; note?: string };
    status: {
      score?: { threat?: number; anomaly?: number; impact?: number; confidence?: number; latest?: number };
      criticality?: string;
      detectors?: { detector: string; score: number }[];
      explanation?: {
        summary?: string;
        features?: { name: string; value?: number; baseline?: number; deviation?: number }[];
      };
      prediction?: { kind?: string; at?: string; detail?: string };
      actions?: ActionStatus[];
      enforcement?: { api?: string; limits?: string };
      targets?: { address: string; flows?: number; bytes?: number }[];
      feedback?: { verdict?: string; recordedAt?: string };
      alertRules?: { name: string; severity?: string; firedAt?: string }[];
    };
  };
  timeline: { t: number; threat: number; anomaly: number }[];
  flows: StoredFlow[];
  audit: { at: number; action: string; mode: string; outcome: string; detail: Record<string, unknown> }[];
  feedback: { verdict: string; note?: string }[];
  preview?: string;
}

function detailText(d: Record<string, unknown>): string {
  const v = d.message ?? d.reason;
  return typeof v === 'string' ? v : '';
}

const PROTO: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

function part(label: string, value: number, weight: number, color: string): HTMLElement {
  const track = h('div', { class: 'track' }, h('i', {}));
  const fill = track.firstChild as HTMLElement;
  fill.style.width = `${Math.round(value * 100)}%`;
  fill.style.background = color;
  return h(
    'div',
    { class: 'part' },
    h('span', {}, label, h('span', { class: 'muted' }, ` ×${weight}`)),
    track,
    h('b', {}, value.toFixed(2)),
  );
}

function yaml(text: string): HTMLElement {
  const pre = h('pre', { class: 'yaml', id: 'preview' });
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) pre.appendChild(h('span', { class: 'c' }, line));
    else {
      const m = /^(\s*-?\s*)([A-Za-z0-9_./-]+:)(.*)$/.exec(line);
      if (m) pre.append(m[1] ?? '', h('span', { class: 'k' }, m[2] ?? ''), m[3] ?? '');
      else pre.append(line);
    }
    pre.append('\n');
  }
  return pre;
}

export function incidentPage(app: App, namespace: string, name: string): Page {
  const key = `${namespace}/${name}`;
  const el = h('div', {}, h('div', { class: 'empty' }, 'Loading…'));
  const chartEl = h('div', { class: 'chart' });
  const chart = new ScoreChart(chartEl, 200);
  let revealed: Record<string, string> = {};
  let detail: Detail | undefined;

  const act = async (path: string, body: unknown, done: string) => {
    try {
      await api.post(`/api/incidents/${key}/${path}`, body);
      toast(done);
      await load();
    } catch (err) {
      toast(err instanceof ApiError ? err.message : String(err));
    }
  };

  // Tokens read as entities do elsewhere ("ip 0a1b2c3d"), whether or not they carry the ip: prefix.
  const addr = (token: string) =>
    revealed[token.replace(/^ip:/, '')] ?? shortEntity(/^t[46]:/.test(token) ? `ip:${token}` : token);

  const render = (d: Detail) => {
    const i = d.incident;
    const s = i.status;
    const score = s.score ?? {};
    const actions = s.actions ?? [];
    const pending = actions.filter((a) => a.state === 'PendingApproval');
    const verdict = i.spec.verdict;
    const buttons = h(
      'div',
      { class: 'btns' },
      h(
        'button',
        {
          class: 'btn ok',
          id: 'mark-tp',
          disabled: !app.can('feedback') || verdict === 'TruePositive',
          onclick: () => void act('feedback', { verdict: 'TruePositive' }, 'Marked as a true positive'),
        },
        'True positive',
      ),
      h(
        'button',
        {
          class: 'btn',
          id: 'mark-fp',
          disabled: !app.can('feedback') || verdict === 'FalsePositive',
          onclick: () =>
            void act(
              'feedback',
              { verdict: 'FalsePositive' },
              'Marked as a false positive: actions reverted, the entity’s bar raised',
            ),
        },
        'False positive',
      ),
      pending.map((a) =>
        h(
          'button',
          {
            class: 'btn primary',
            disabled: !app.can('approve'),
            onclick: () => void act('approve', { action: a.type }, `${a.type} approved`),
          },
          `Approve ${a.type}`,
        ),
      ),
      h(
        'button',
        {
          class: 'btn danger',
          id: 'release',
          disabled: !app.can('approve') || i.spec.release,
          onclick: () => void act('release', { release: true }, 'Released: every action reverted'),
        },
        'Release',
      ),
    );
    const features = s.explanation?.features ?? [];
    const maxDev = Math.max(1, ...features.map((f) => Math.abs(f.deviation ?? 0)));
    const canReveal = app.can('reveal') && app.session.anonymized;
    const revealBtn = canReveal
      ? h(
          'button',
          {
            class: 'btn small',
            onclick: () => {
              const tokens = [
                ...new Set([
                  ...d.flows.flatMap((f) => [f.src, f.dst]),
                  ...(s.targets ?? []).map((t) => t.address),
                ]),
              ].filter((t) => t.startsWith('t4:') || t.startsWith('t6:'));
              if (tokens.length === 0) return;
              void api.post<{ addresses: Record<string, string> }>('/api/reveal', { tokens }).then((r) => {
                revealed = r.addresses;
                render(d);
              });
            },
          },
          Object.keys(revealed).length > 0 ? 'Addresses revealed' : 'Reveal addresses',
        )
      : null;
    replace(
      el,
      h(
        'div',
        { class: 'topbar' },
        h(
          'div',
          {},
          h('h1', {}, shortEntity(i.entity.key)),
          h(
            'div',
            { class: 'sub' },
            badge(i.entity.kind, 'kind'),
            ' ',
            i.policy,
            ' · ',
            badge(i.phase),
            ' ',
            i.action,
            verdict
              ? [
                  ' · analyst: ',
                  badge(verdict === 'FalsePositive' ? 'false positive' : 'true positive', verdict),
                ]
              : null,
          ),
        ),
        h('span', { class: 'spacer' }),
        buttons,
      ),
      h(
        'div',
        { class: 'grid three-one' },
        h(
          'div',
          { class: 'card' },
          h('h2', {}, 'Why', h('span', { class: 'hint' }, 'explanation of the worst verdict')),
          s.explanation?.summary ? h('div', { class: 'summary' }, s.explanation.summary) : null,
          s.prediction
            ? h(
                'div',
                { class: 'banner' },
                `Forecast: ${s.prediction.kind ?? ''} expected ${relative(s.prediction.at, d.now)} — ${s.prediction.detail ?? ''}`,
              )
            : null,
          features.length > 0
            ? h(
                'table',
                { id: 'features' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', {}, 'Feature'),
                    h('th', { class: 'num' }, 'Value'),
                    h('th', { class: 'num' }, 'Usual'),
                    h('th', {}, 'Deviation'),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  features.map((f) => {
                    const dev = f.deviation ?? 0;
                    const bar = h(
                      'div',
                      {
                        class: 'track',
                        style:
                          'height: 8px; background: #eaecf0; border-radius: 4px; overflow: hidden; min-width: 120px',
                      },
                      h('i', {}),
                    );
                    const fill = bar.firstChild as HTMLElement;
                    fill.style.cssText = `display:block;height:100%;width:${Math.round((Math.abs(dev) / maxDev) * 100)}%;background:${scoreColor(Math.min(1, Math.abs(dev) / 6))}`;
                    return h(
                      'tr',
                      {},
                      h('td', { class: 'mono' }, f.name),
                      h('td', { class: 'num' }, (f.value ?? 0).toFixed(2)),
                      h('td', { class: 'num muted' }, (f.baseline ?? 0).toFixed(2)),
                      h(
                        'td',
                        {},
                        h(
                          'div',
                          { style: 'display:flex;gap:8px;align-items:center' },
                          bar,
                          h('span', { class: 'mono' }, `${dev >= 0 ? '+' : ''}${dev.toFixed(1)}σ`),
                        ),
                      ),
                    );
                  }),
                ),
              )
            : h('div', { class: 'empty' }, 'No feature stood out.'),
        ),
        h(
          'div',
          { class: 'grid', style: 'align-content: start' },
          h(
            'div',
            { class: 'card', id: 'score-card' },
            h(
              'h2',
              {},
              'Threat score',
              s.criticality
                ? h('span', { class: 'right' }, badge(`criticality ${s.criticality}`, 'info'))
                : null,
            ),
            h(
              'div',
              { class: 'parts' },
              h(
                'div',
                { class: 'big-score', style: `color:${scoreColor(score.threat ?? 0)}` },
                (score.threat ?? 0).toFixed(2),
              ),
              h(
                'div',
                { class: 'muted' },
                `worst since first seen; latest ${(score.latest ?? 0).toFixed(2)}`,
              ),
            ),
            part('Anomaly', score.anomaly ?? 0, 0.6, '#f79009'),
            part('Impact', score.impact ?? 0, 0.3, '#f04438'),
            part('Confidence', score.confidence ?? 0, 0.1, '#465fff'),
          ),
          h(
            'div',
            { class: 'card' },
            h('h2', {}, 'Detectors'),
            (s.detectors ?? []).length === 0
              ? h('div', { class: 'empty' }, 'No detector scores.')
              : (s.detectors ?? []).map((x) =>
                  part(x.detector, Math.max(0, Math.min(1, x.score)), 1, scoreColor(x.score)),
                ),
          ),
        ),
      ),
      h(
        'div',
        { class: 'card', style: 'margin-top: 16px' },
        h('h2', {}, 'Timeline', h('span', { class: 'hint' }, 'verdicts about this entity')),
        chartEl,
        legend([
          ['threat', '#f04438'],
          ['anomaly', '#f79009'],
          ['incident threshold', '#98a2b3', 'dash'],
          ['block threshold', '#b42318', 'dash'],
        ]),
      ),
      h(
        'div',
        { class: 'grid two', style: 'margin-top: 16px' },
        h(
          'div',
          { class: 'card' },
          h(
            'h2',
            {},
            'Actions',
            s.enforcement?.api ? h('span', { class: 'hint' }, `blocks via ${s.enforcement.api}`) : null,
          ),
          actions.length === 0
            ? h('div', { class: 'empty' }, 'No action step has fired.')
            : h(
                'table',
                { id: 'actions' },
                h(
                  'thead',
                  {},
                  h(
                    'tr',
                    {},
                    h('th', {}, 'Step'),
                    h('th', {}, 'State'),
                    h('th', {}, 'What'),
                    h('th', {}, 'Expires'),
                  ),
                ),
                h(
                  'tbody',
                  {},
                  actions.map((a) =>
                    h(
                      'tr',
                      {},
                      h('td', {}, h('b', {}, a.type)),
                      h(
                        'td',
                        {},
                        badge(a.state === 'PendingApproval' ? 'awaiting approval' : a.state, a.state),
                      ),
                      h(
                        'td',
                        { class: 'muted' },
                        a.message ?? a.reason ?? '',
                        a.pods?.length ? h('div', { class: 'mono' }, a.pods.join(', ')) : null,
                        a.addresses?.length
                          ? h('div', { class: 'mono' }, a.addresses.map(addr).join(', '))
                          : null,
                      ),
                      h(
                        'td',
                        { class: 'muted' },
                        ['Active', 'Intended', 'PendingApproval'].includes(a.state)
                          ? relative(a.expiresAt, d.now)
                          : '–',
                      ),
                    ),
                  ),
                ),
              ),
        ),
        h(
          'div',
          { class: 'card' },
          h(
            'h2',
            {},
            'What Enforce would apply',
            h('span', { class: 'hint' }, 'exact objects from the controller'),
          ),
          d.preview
            ? yaml(d.preview)
            : h(
                'div',
                { class: 'empty' },
                'No enforcing action (rate limit, block, quarantine) is live for this incident.',
              ),
        ),
      ),
      h(
        'div',
        { class: 'card', style: 'margin-top: 16px' },
        h(
          'h2',
          {},
          'Flows',
          h('span', { class: 'hint' }, 'a sample of the entity’s recent flows'),
          h('span', { class: 'right' }, revealBtn),
        ),
        d.flows.length === 0
          ? h('div', { class: 'empty' }, 'No flows sampled.')
          : h(
              'table',
              { id: 'flows' },
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  ['Time', 'Source', 'Destination', 'Port', 'Proto', 'Decision', 'Bytes', 'Outcome'].map(
                    (t) => h('th', {}, t),
                  ),
                ),
              ),
              h(
                'tbody',
                {},
                d.flows
                  .slice(0, 12)
                  .map((f) =>
                    h(
                      'tr',
                      {},
                      h('td', { class: 'mono' }, time(f.ts)),
                      h(
                        'td',
                        { class: 'mono ellipsis' },
                        f.srcEntity && !f.srcEntity.startsWith('ip:') ? f.srcEntity : addr(f.src),
                      ),
                      h(
                        'td',
                        { class: 'mono ellipsis' },
                        f.dstEntity && !f.dstEntity.startsWith('ip:') ? f.dstEntity : addr(f.dst),
                      ),
                      h('td', { class: 'num' }, f.dstPort === undefined ? '' : String(f.dstPort)),
                      h('td', {}, PROTO[f.proto] ?? String(f.proto)),
                      h('td', {}, badge(f.action, f.action === 'deny' ? 'Refused' : 'active')),
                      h('td', { class: 'num' }, f.bytes === undefined ? '' : bytes(f.bytes)),
                      h('td', { class: 'muted' }, f.outcome ?? ''),
                    ),
                  ),
              ),
            ),
      ),
      h(
        'div',
        { class: 'grid two', style: 'margin-top: 16px' },
        h(
          'div',
          { class: 'card' },
          h('h2', {}, 'Audit log'),
          d.audit.length === 0
            ? h('div', { class: 'empty' }, 'Nothing recorded.')
            : h(
                'ul',
                { class: 'feed', id: 'audit' },
                d.audit
                  .slice(-12)
                  .reverse()
                  .map((a) =>
                    h(
                      'li',
                      {},
                      h('span', { class: 'when' }, time(a.at)),
                      badge(a.action, 'kind'),
                      h('span', {}, `${a.outcome} (${a.mode})`),
                      h('span', { class: 'muted ellipsis' }, detailText(a.detail)),
                    ),
                  ),
              ),
        ),
        h(
          'div',
          { class: 'card' },
          h('h2', {}, 'Analyst feedback'),
          d.feedback.length === 0
            ? h('div', { class: 'empty', id: 'feedback' }, 'No feedback yet.')
            : h(
                'ul',
                { class: 'feed', id: 'feedback' },
                d.feedback.map((f) =>
                  h(
                    'li',
                    {},
                    badge(f.verdict === 'FalsePositive' ? 'false positive' : 'true positive', f.verdict),
                    h('span', { class: 'muted' }, f.note ?? 'stored for retraining'),
                  ),
                ),
              ),
        ),
      ),
      h(
        'p',
        { class: 'muted' },
        h(
          'a',
          { href: entityHref(i.entity.kind, i.entity.key) },
          `Everything about ${shortEntity(i.entity.key)} →`,
        ),
      ),
    );
    chart.update({
      now: d.now,
      t: d.timeline.map((p) => p.t),
      threat: d.timeline.map((p) => p.threat),
      anomaly: d.timeline.map((p) => p.anomaly),
      thresholds: app.session.thresholds,
    });
  };

  const load = async () => {
    try {
      detail = await api.get<Detail>(`/api/incidents/${key}`);
      render(detail);
    } catch (err) {
      replace(
        el,
        h(
          'div',
          { class: 'card empty' },
          err instanceof ApiError && err.status === 404 ? 'This incident no longer exists.' : String(err),
        ),
      );
    }
  };
  void load();
  let pending = false;
  return {
    title: `Incident ${name}`,
    el,
    onLive(type, data) {
      if (type !== 'incidents' || pending) return;
      if (!(data as { changed: string[] }).changed.includes(key)) return;
      pending = true;
      void load().finally(() => (pending = false));
    },
    destroy: () => chart.destroy(),
  };
}
