/**
 * The dashboard in Debian's Chromium (playwright-core): the demo end to end — the page loads, a
 * chart updates live, an attack the simulator injects appears as an incident, marking it a false
 * positive is stored and shown, an alert rule can be created and fires — with screenshots of the
 * overview, incident and graph views in test-results/. Then the graph with 5k entities and 50k
 * edges: time to first render and to apply a live update, printed and written to
 * test-results/dashboard-perf.json (figures, not assertions).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { parseConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createRegistry } from '../../src/observability/metrics.js';
import { ensureWebBundle } from '../../src/dashboard/server/bundle.js';
import { startDemo, type RunningDemo } from '../../src/dashboard/demo/start-demo.js';
import { CHROMIUM, launchBrowser, type LaunchedBrowser } from './browser.js';
import { seedGraph, threaten } from './graph-fixture.js';
import { NOW, testDashboard, TOKEN, type TestDashboard } from './support.js';

const OUT = 'test-results';
const skip = existsSync(CHROMIUM) ? false : `no ${CHROMIUM} (run scripts/ci-browser.sh)`;

interface Probe {
  chartUpdates: number;
  lastTrafficT: number;
  graph: {
    firstRenderMs: number;
    fetchMs: number;
    lastApplyMs: number;
    lastUpdateMs: number;
    updates: number;
    nodes: number;
    edges: number;
  };
}

const probe = (page: Page): Promise<Probe> => page.evaluate<Probe>('window.__foresight');

describe('dashboard in the browser', { skip }, () => {
  let demo: RunningDemo;
  let browser: LaunchedBrowser;
  let page: Page;
  // The page's origin is the printed URL's (localhost): the token is kept per origin.
  const origin = () => new URL(demo.url).origin;
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${demo.port}${path}`, {
      headers: { authorization: `Bearer ${demo.token}` },
    });
    return (await res.json()) as T;
  };

  before(async () => {
    mkdirSync(OUT, { recursive: true });
    const config = parseConfig({
      store: { kind: 'pglite' },
      scoring: { modelPollSeconds: 2 },
      training: { forecast: { lstm: { maxTargets: 0 } } },
    });
    demo = await startDemo({
      config,
      logger: silentLogger(),
      metrics: createRegistry({ defaultMetrics: false }),
      host: '127.0.0.1',
      port: 0,
      speed: 45,
      hours: 2,
      rate: 20,
      seed: 3,
      trainMinutes: 60,
      liveIntervalMs: 500,
    });
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    await demo.ready;
  });
  after(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('loads the overview with the token from the printed URL', async () => {
    await page.goto(demo.url);
    await page.waitForSelector('.kpi .value');
    assert.equal(await page.title(), 'Overview · Foresight');
    await page.waitForSelector('.live-dot.on');
    // The token left the address bar and lives in the session only.
    assert.ok(!page.url().includes('token='));
  });

  it('updates the traffic chart live, without a reload', async () => {
    await page.waitForFunction(
      () => (globalThis as unknown as { __foresight: Probe }).__foresight.lastTrafficT > 0,
    );
    const before = await probe(page);
    await page.waitForFunction(
      (t) => (globalThis as unknown as { __foresight: Probe }).__foresight.lastTrafficT > t,
      before.lastTrafficT,
      { timeout: 60_000 },
    );
    const afterUpdate = await probe(page);
    assert.ok(afterUpdate.chartUpdates > before.chartUpdates);
    await page.screenshot({ path: `${OUT}/dashboard-overview.png`, fullPage: true });
  });

  let incidentKey = '';
  it('shows an attack injected by the simulator as an incident', async () => {
    const attackers = new Map<string, string>();
    for (const a of await demo.attacks()) for (const e of a.entities) attackers.set(e, a.type);
    const deadline = Date.now() + 120_000;
    while (!incidentKey && Date.now() < deadline) {
      const { incidents } = await api<{ incidents: { key: string; entity: { key: string } }[] }>(
        '/api/incidents?limit=1000',
      );
      incidentKey = incidents.find((i) => attackers.has(i.entity.key))?.key ?? '';
      if (!incidentKey) await new Promise((r) => setTimeout(r, 1000));
    }
    assert.ok(incidentKey, 'an incident about an attacker');
    await page.goto(`${origin()}/#/incident/${incidentKey}`);
    await page.waitForSelector('#score-card');
    const heading = await page.textContent('h1');
    assert.ok(heading && heading.length > 0);
    await page.waitForSelector('#features, #flows');
    await page.screenshot({ path: `${OUT}/dashboard-incident.png`, fullPage: true });
  });

  it('stores a false positive and shows it', async () => {
    await page.click('#mark-fp');
    await page.waitForSelector('#feedback li .badge.FalsePositive');
    const detail = await api<{
      incident: { verdict?: string; phase: string };
      feedback: { verdict: string }[];
    }>(`/api/incidents/${incidentKey}`);
    assert.equal(detail.incident.verdict, 'FalsePositive');
    assert.equal(detail.incident.phase, 'Released');
    assert.deepEqual(
      detail.feedback.map((f) => f.verdict),
      ['FalsePositive'],
    );
  });

  it('creates an alert rule that fires', async () => {
    await page.goto(`${origin()}/#/rules`);
    await page.click('#new-rule');
    await page.selectOption('select[name=policy]', 'shop/default');
    await page.fill('input[name=name]', 'any-traffic');
    await page.fill('input[name=entity]', 'shop/*');
    await page.selectOption('select[name=metric]', 'flows');
    await page.fill('input[name=threshold]', '1');
    await page.fill('input[name=count]', '1');
    await page.fill('input[name=windowSeconds]', '60');
    await page.click('#save-rule');
    const row = 'tr[data-rule="shop/default/any-traffic"]';
    await page.waitForSelector(row);
    await page.waitForSelector(`${row} td.fired b`, { timeout: 60_000 });
    const { rules } = await api<{ rules: { id: string; firings: number }[] }>('/api/rules');
    assert.ok((rules.find((r) => r.id === 'shop/default/any-traffic')?.firings ?? 0) > 0);
  });

  it('draws the connection graph of the demo', async () => {
    await page.goto(`${origin()}/#/graph`);
    await page.waitForFunction(
      () => (globalThis as unknown as { __foresight: Probe }).__foresight.graph.firstRenderMs > 0,
      undefined,
      { timeout: 60_000 },
    );
    assert.ok((await probe(page)).graph.nodes > 10);
    await page.waitForTimeout(2500); // let the layout settle for the picture
    await page.waitForSelector('.toast', { state: 'detached' }); // the rules page's confirmation
    await page.screenshot({ path: `${OUT}/dashboard-graph.png` });
  });
});

describe('graph with 5k entities and 50k edges in the browser', { skip }, () => {
  let d: TestDashboard;
  let browser: LaunchedBrowser;

  before(async () => {
    d = await testDashboard('pglite', { webRoot: await ensureWebBundle(silentLogger()) });
    await seedGraph(d.store, d.verdicts, { now: NOW, entities: 5000, peers: 10, threatened: 1000 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await d?.close();
  });

  it('renders, then applies a live update, and reports the times', async () => {
    const port = await d.server.listen({ host: '127.0.0.1', port: 0 });
    const page = await browser.browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/#token=${TOKEN}`);
    await page.waitForSelector('.kpi .value');
    const navStart = Date.now();
    await page.goto(`http://127.0.0.1:${port}/#/graph`);
    await page.waitForFunction(
      () => (globalThis as unknown as { __foresight: Probe }).__foresight.graph.firstRenderMs > 0,
      undefined,
      { timeout: 120_000 },
    );
    const first = (await probe(page)).graph;
    assert.equal(first.nodes, 5000);
    assert.ok(first.edges >= 49_000, `${first.edges} edges`);
    // A live change: 2000 more entities get verdicts (colours), then the page applies the new graph.
    await threaten(d.verdicts, NOW, 2000, 1000);
    await page.evaluate('window.__foresight.refreshGraph()');
    const updated = (await probe(page)).graph;
    assert.equal(updated.updates, 1);
    await page.screenshot({ path: `${OUT}/dashboard-graph-5k.png` });
    const figures = {
      nodes: first.nodes,
      edges: first.edges,
      firstRenderMs: Math.round(first.firstRenderMs),
      apiFetchMs: Math.round(first.fetchMs),
      liveUpdateJsMs: Math.round(updated.lastApplyMs),
      liveUpdateToPaintMs: Math.round(updated.lastUpdateMs),
      navigationToRenderedMs: Date.now() - navStart,
    };
    writeFileSync(`${OUT}/dashboard-perf.json`, JSON.stringify(figures, null, 2) + '\n');
    console.log(`graph 5k/50k: ${JSON.stringify(figures)}`);
  });
});
