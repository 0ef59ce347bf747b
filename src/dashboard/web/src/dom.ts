/** Tiny DOM helpers and formatters: elements from tag, attributes and children, never from HTML strings. */

type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function svgIcon(path: string): SVGSVGElement {
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('width', '18');
  svg.setAttribute('height', '18');
  svg.setAttribute('fill', 'none');
  svg.setAttribute('stroke', 'currentColor');
  svg.setAttribute('stroke-width', '2');
  svg.setAttribute('stroke-linecap', 'round');
  const p = document.createElementNS('http://www.w3.org/2000/svg', 'path');
  p.setAttribute('d', path);
  svg.appendChild(p);
  return svg;
}

const nf = new Intl.NumberFormat('en', { maximumFractionDigits: 1 });

export function num(n: number): string {
  if (Math.abs(n) >= 1e6) return `${nf.format(n / 1e6)}M`;
  if (Math.abs(n) >= 1e4) return `${nf.format(n / 1e3)}k`;
  return nf.format(n);
}

export function bytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${nf.format(n)} ${units[i]}`;
}

export function time(ms: number | string | undefined): string {
  if (ms === undefined) return '–';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '–' : d.toISOString().slice(11, 19);
}

export function dateTime(ms: number | string | undefined): string {
  if (ms === undefined) return '–';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '–' : `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)}`;
}

/** "in 12m", "3m ago" relative to the dashboard's clock. */
export function relative(ms: number | string | undefined, now: number): string {
  if (ms === undefined) return '–';
  const t = typeof ms === 'string' ? Date.parse(ms) : ms;
  if (!Number.isFinite(t)) return '–';
  const d = t - now;
  const seconds = Math.round(Math.abs(d) / 1000);
  if (seconds < 1) return 'now';
  const minutes = Math.round(seconds / 60);
  // Rounded first, so that 59.6 minutes reads "1h" like 60.4 does, not "60m".
  const text = seconds < 60 ? `${seconds}s` : minutes < 60 ? `${minutes}m` : `${nf.format(seconds / 3600)}h`;
  return d >= 0 ? `in ${text}` : `${text} ago`;
}

/** Green → amber → red for a score in [0,1]. */
export function scoreColor(s: number): string {
  const x = Math.max(0, Math.min(1, s));
  const stops: [number, number, number][] = [
    [18, 183, 106],
    [253, 176, 34],
    [240, 68, 56],
  ];
  const seg = x < 0.5 ? 0 : 1;
  const f = x < 0.5 ? x / 0.5 : (x - 0.5) / 0.5;
  const a = stops[seg]!;
  const b = stops[seg + 1]!;
  const c = a.map((v, i) => Math.round(v + (b[i]! - v) * f));
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

export function scoreBar(s: number): HTMLElement {
  const bar = h('span', { class: 'bar' }, h('i', {}));
  const fill = bar.firstChild as HTMLElement;
  fill.style.width = `${Math.round(Math.max(0, Math.min(1, s)) * 100)}%`;
  fill.style.background = scoreColor(s);
  return h('span', { class: 'score' }, bar, h('b', {}, s.toFixed(2)));
}

export function badge(text: string, cls = text): HTMLElement {
  return h('span', { class: `badge ${cls}` }, text);
}

export function toast(text: string): void {
  const el = h('div', { class: 'toast', role: 'status' }, text);
  document.body.appendChild(el);
  setTimeout(() => el.remove(), 3500);
}

export function entityHref(kind: string, key: string): string {
  return `#/entity/${kind}/${encodeURIComponent(key)}`;
}

/** Entity keys are long (`ip:t4:0a1b2c3d`): shorten tokens for tables. */
export function shortEntity(key: string): string {
  return key.replace(/^ip:t4:/, 'ip ').replace(/^ip:t6:([0-9a-f]{8})[0-9a-f]+/, 'ip $1…');
}
