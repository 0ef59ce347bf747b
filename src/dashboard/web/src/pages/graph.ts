/**
 * The connection graph (sigma.js over graphology, WebGL): who talked to whom over a span; edge
 * width by flows, node colour by the highest threat, node size by traffic. Nodes start on a
 * namespace-grouped layout and settle with ForceAtlas2 in a web worker; live updates restyle
 * and add in place. Clicking a node opens its panel (and from there its page).
 */
import Graph from 'graphology';
import FA2Layout from 'graphology-layout-forceatlas2/worker';
import Sigma from 'sigma';
import { api } from '../api.js';
import { probe, type App, type Page } from '../app.js';
import { entityHref, h, num, replace, scoreBar, scoreColor, shortEntity } from '../dom.js';

export interface GraphData {
  now: number;
  nodes: { id: string; namespace?: string; flows: number; maxThreat: number; external: boolean }[];
  edges: { source: string; target: string; flows: number; bytes: number }[];
  truncated: number;
}

const SPANS: [number, string][] = [
  [5 * 60_000, '5 min'],
  [15 * 60_000, '15 min'],
  [60 * 60_000, '1 hour'],
  [6 * 3_600_000, '6 hours'],
];

/** Resolves once the browser has painted what is on the canvas now (two animation frames). */
function painted(): Promise<void> {
  return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
}

function hash(s: string): number {
  let x = 2166136261;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), 16777619);
  return (x >>> 0) / 4294967296;
}

export function graphPage(_app: App): Page {
  const container = h('div', { class: 'graph-canvas', id: 'graph-canvas' });
  const panel = h('div', { class: 'graph-panel', hidden: true });
  const stats = h('span', { class: 'muted', id: 'graph-stats' }, 'loading…');
  const spanSelect = h(
    'select',
    { 'aria-label': 'span' },
    SPANS.map(([v, l]) => h('option', { value: String(v), selected: v === 15 * 60_000 }, l)),
  );
  const search = h('input', { placeholder: 'Find entity…', 'aria-label': 'find entity', size: 16 });
  const el = h(
    'div',
    {},
    h(
      'div',
      { class: 'topbar' },
      h('h1', {}, 'Connections'),
      h('span', { class: 'sub' }, 'who talks to whom; colour is the highest threat'),
    ),
    h(
      'div',
      { class: 'card graph-wrap' },
      container,
      h(
        'div',
        { class: 'graph-tools' },
        spanSelect,
        search,
        h('span', { class: 'scale', title: 'threat 0 → 1' }),
        stats,
      ),
      panel,
    ),
  );
  const graph = new Graph({ multi: false, type: 'directed' });
  let sigma: Sigma | undefined;
  let layout: FA2Layout | undefined;
  let maxFlows = 1;
  let selected: string | undefined;

  // Workloads stay readable (labelled, larger); outside addresses shrink when they are many, and
  // everything does in graphs of thousands, which would otherwise be one solid blob.
  const nodeSize = (flows: number, external: boolean) => {
    const scale = (external && graph.order > 500 ? 0.4 : 1) * (graph.order > 1500 ? 0.5 : 1);
    return scale * (2.5 + 10 * Math.sqrt(Math.log1p(flows) / Math.log1p(maxFlows)));
  };
  const edgeSize = (flows: number) => 0.3 + 3 * (Math.log1p(flows) / Math.log1p(maxFlows));

  /**
   * Adds what is new, drops what left the span, and restyles the rest in one batch per kind
   * (updateEach* emits one event, so sigma reprocesses once rather than per attribute).
   */
  const apply = (d: GraphData) => {
    maxFlows = Math.max(1, ...d.nodes.map((n) => n.flows));
    const nodes = new Map(d.nodes.map((n) => [n.id, n]));
    graph.forEachNode((id) => {
      if (!nodes.has(id)) graph.dropNode(id);
    });
    for (const n of d.nodes) {
      if (graph.hasNode(n.id)) continue;
      // Start grouped: each namespace (and the outside world) around its own centre.
      const g = hash(n.namespace ?? (n.external ? '~outside' : '~other')) * Math.PI * 2;
      const r = 1 + hash(n.id) * 0.8;
      const a = hash(`${n.id}#`) * Math.PI * 2;
      graph.addNode(n.id, {
        x: Math.cos(g) * 3 + Math.cos(a) * r,
        y: Math.sin(g) * 3 + Math.sin(a) * r,
        label: shortEntity(n.id),
      });
    }
    graph.updateEachNodeAttributes(
      (id, attrs) => {
        const n = nodes.get(id)!;
        return {
          ...attrs,
          size: nodeSize(n.flows, n.external),
          color: scoreColor(n.maxThreat),
          threat: n.maxThreat,
          flows: n.flows,
          namespace: n.namespace ?? '',
          forceLabel: !n.external && nodes.size < 3000,
        };
      },
      { attributes: ['size', 'color', 'threat', 'flows', 'namespace', 'forceLabel'] },
    );
    const edges = new Map(d.edges.map((e) => [`${e.source}\u0000${e.target}`, e]));
    graph.forEachEdge((edge, _a, source, target) => {
      if (!edges.has(`${source}\u0000${target}`)) graph.dropEdge(edge);
    });
    for (const e of d.edges) {
      if (!graph.hasEdge(e.source, e.target) && graph.hasNode(e.source) && graph.hasNode(e.target))
        graph.addEdge(e.source, e.target, { color: '#c7cdd8' });
    }
    graph.updateEachEdgeAttributes(
      (_edge, attrs, source, target) => {
        const e = edges.get(`${source}\u0000${target}`);
        return e ? { ...attrs, size: edgeSize(e.flows), flows: e.flows } : attrs;
      },
      { attributes: ['size', 'flows'] },
    );
    stats.textContent = `${num(graph.order)} entities · ${num(graph.size)} connections${d.truncated > 0 ? ` (${num(d.truncated)} smallest left out)` : ''}`;
    probe.graph.nodes = graph.order;
    probe.graph.edges = graph.size;
  };

  const showPanel = (id: string) => {
    selected = id;
    const a = graph.getNodeAttributes(id) as { threat: number; flows: number; namespace: string };
    const kind =
      id.startsWith('ip:') || !graph.outDegree(id)
        ? graph.outDegree(id)
          ? 'source'
          : 'destination'
        : 'source';
    panel.hidden = false;
    replace(
      panel,
      h('h2', { style: 'margin-top: 0; font-size: 15px' }, shortEntity(id)),
      h('div', { class: 'muted' }, a.namespace || 'outside the cluster'),
      h(
        'table',
        {},
        h(
          'tbody',
          {},
          h('tr', {}, h('td', {}, 'Threat'), h('td', {}, scoreBar(a.threat))),
          h('tr', {}, h('td', {}, 'Flows'), h('td', { class: 'num' }, num(a.flows))),
          h('tr', {}, h('td', {}, 'Talks to'), h('td', { class: 'num' }, String(graph.outDegree(id)))),
          h('tr', {}, h('td', {}, 'Heard from'), h('td', { class: 'num' }, String(graph.inDegree(id)))),
        ),
      ),
      h(
        'div',
        { class: 'btns', style: 'margin-top: 10px' },
        h('a', { class: 'btn primary small', href: entityHref(kind, id) }, 'Open entity'),
        h(
          'button',
          {
            class: 'btn small',
            onclick: () => {
              panel.hidden = true;
              selected = undefined;
              sigma?.refresh();
            },
          },
          'Close',
        ),
      ),
    );
    sigma?.refresh();
  };

  const load = async (first: boolean) => {
    const started = performance.now();
    const d = await api.get<GraphData>(`/api/graph?span=${spanSelect.value}`);
    const fetched = performance.now();
    if (first) {
      apply(d);
      sigma = new Sigma(graph, container, {
        renderEdgeLabels: false,
        labelRenderedSizeThreshold: 9,
        // Fewer, spaced labels: long entity names otherwise overlap in dense areas.
        labelDensity: 0.6,
        labelGridCellSize: 140,
        defaultEdgeType: 'line',
        zIndex: true,
        nodeReducer: (node, data) =>
          selected && node !== selected && !graph.areNeighbors(node, selected)
            ? { ...data, color: '#e4e7ec', label: '' }
            : data,
        edgeReducer: (edge, data) =>
          selected && !graph.extremities(edge).includes(selected) ? { ...data, hidden: true } : data,
      });
      sigma.on('clickNode', ({ node }) => showPanel(node));
      sigma.on('clickStage', () => {
        selected = undefined;
        panel.hidden = true;
        sigma?.refresh();
      });
      await painted();
      probe.graph.firstRenderMs = performance.now() - started;
      probe.graph.fetchMs = fetched - started;
      layout = new FA2Layout(graph, {
        settings: {
          gravity: 0.5,
          scalingRatio: 10,
          linLogMode: true,
          barnesHutOptimize: graph.order > 500,
          slowDown: 5,
        },
      });
      layout.start();
      setTimeout(() => layout?.stop(), Math.min(8000, 1500 + graph.order));
    } else {
      apply(d);
      sigma?.refresh();
      probe.graph.lastApplyMs = performance.now() - fetched;
      await painted();
      probe.graph.lastUpdateMs = performance.now() - fetched;
      probe.graph.updates++;
    }
  };

  spanSelect.addEventListener('change', () => {
    graph.clear();
    void load(false);
  });
  search.addEventListener('change', () => {
    const q = search.value.trim().toLowerCase();
    const hit = graph.findNode((id) => id.toLowerCase().includes(q));
    if (!hit || !sigma) return;
    showPanel(hit);
    const pos = sigma.getNodeDisplayData(hit);
    if (pos) void sigma.getCamera().animate({ x: pos.x, y: pos.y, ratio: 0.3 }, { duration: 400 });
  });
  // The container must be in the document before sigma measures it.
  requestAnimationFrame(() => void load(true));
  probe.refreshGraph = () => load(false);
  let ticks = 0;
  let pending = false;
  return {
    title: 'Connections',
    el,
    onLive(type) {
      // The graph spans minutes: refreshing every few ticks is plenty.
      if (type !== 'tick' || pending || !sigma || ++ticks % 5 !== 0) return;
      pending = true;
      void load(false).finally(() => (pending = false));
    },
    destroy() {
      layout?.kill();
      sigma?.kill();
    },
  };
}
