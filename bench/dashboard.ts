/**
 * bench:dashboard — the dashboard API's latency while the demo ingests at full speed: the demo
 * (simulator, PGlite, training, scoring, Monitor engine) runs with --speed max, and a few clients
 * behave like open dashboard tabs for a fixed time. Prints p50/p95/p99/max per route and overall,
 * and the ingest rate meanwhile (flows/s and × real time), next to the rate with no client at all
 * (measured first, same seed and span) so a fast API is not bought by starving ingest. Figures,
 * not assertions.
 *
 * A tab reads the live stream (/api/stream) as the UI does and, on every tick it receives, loads
 * what the overview polls (overview, series); every fifth tick it also loads what the other pages
 * poll: the incident list, one incident, the graph, an entity's page, rules, models and the
 * session. Every view is loaded once, untimed, before the clock starts. `--loop` makes clients request back to back instead (a saturation test).
 *
 *   npm run bench:dashboard -- [--seconds 60] [--clients 5] [--rate 30] [--speed max|N] [--loop]
 *                              [--train-minutes 120] [--no-baseline]
 */
import { parseArgs } from 'node:util';
import { parseConfig } from '../src/config/load.js';
import { silentLogger } from '../src/observability/logger.js';
import { createRegistry } from '../src/observability/metrics.js';
import { startDemo, type RunningDemo } from '../src/dashboard/demo/start-demo.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    clients: { type: 'string', default: '5' },
    rate: { type: 'string', default: '30' },
    loop: { type: 'boolean', default: false },
    speed: { type: 'string', default: 'max' },
    'train-minutes': { type: 'string', default: '120' },
    'no-baseline': { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const clients = Number(values.clients);

async function start(): Promise<RunningDemo> {
  const demo = await startDemo({
    config: parseConfig({
      store: { kind: 'pglite' },
      scoring: { modelPollSeconds: 5 },
      training: { forecast: { lstm: { maxTargets: 0 } } },
    }),
    logger: silentLogger(),
    metrics: createRegistry({ defaultMetrics: false }),
    host: '127.0.0.1',
    port: 0,
    speed: values.speed === 'max' ? Infinity : Number(values.speed),
    hours: 24,
    rate: Number(values.rate),
    seed: 1,
    trainMinutes: Number(values['train-minutes']),
    web: false,
  });
  await demo.ready;
  return demo;
}

interface Rate {
  flowsPerSecond: number;
  realTime: number;
}

/** Ingest over `ms` of wall time from now. */
async function ingestRate(demo: RunningDemo, run: () => Promise<unknown>): Promise<Rate> {
  const before = demo.status();
  const started = performance.now();
  await run();
  const elapsed = (performance.now() - started) / 1000;
  const after = demo.status();
  return {
    flowsPerSecond: (after.counters.flows - before.counters.flows) / elapsed,
    realTime: (after.now - before.now) / 1000 / elapsed,
  };
}

let baseline: Rate | undefined;
if (!values['no-baseline']) {
  console.log(`baseline: ingest with no client for ${seconds} s…`);
  const demo = await start();
  baseline = await ingestRate(demo, () => new Promise((r) => setTimeout(r, seconds * 1000)));
  await demo.close();
}

console.log('warming up and training…');
const demo = await start();
const base = `http://127.0.0.1:${demo.port}`;
const headers = { authorization: `Bearer ${demo.token}` };

const samples = new Map<string, number[]>();
let hits = 0;
let total = 0;
let failures = 0;

async function timed(route: string, path: string): Promise<Response> {
  const t = performance.now();
  const res = await fetch(base + path, { headers });
  await res.clone().arrayBuffer();
  const xs = samples.get(route) ?? [];
  xs.push(performance.now() - t);
  samples.set(route, xs);
  total++;
  if (!res.ok) failures++;
  if (res.headers.get('x-cache') === 'hit') hits++;
  return res;
}

/** Everything the other pages poll. */
async function pages(k: number): Promise<void> {
  const list = (await (await timed('/api/incidents', '/api/incidents')).json()) as {
    incidents: { key: string }[];
  };
  const key = list.incidents[k % Math.max(1, list.incidents.length)]?.key;
  if (key) await timed('/api/incidents/:key', `/api/incidents/${key}`);
  const overview = (await (await timed('/api/overview', '/api/overview')).json()) as {
    topTalkers: { entity: string; kind: string }[];
  };
  const talker = overview.topTalkers[k % Math.max(1, overview.topTalkers.length)];
  await Promise.all([
    timed('/api/graph', '/api/graph'),
    timed('/api/rules', '/api/rules'),
    timed('/api/models', '/api/models'),
    timed('/api/session', '/api/session'),
    talker ? timed('/api/entities/:kind/*', `/api/entities/${talker.kind}/${talker.entity}`) : undefined,
  ]);
}

/** Resolves on each live tick (the stream's `tick` events) until the deadline. */
async function* ticks(deadline: number): AsyncGenerator<void> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), Math.max(0, deadline - Date.now()));
  try {
    const res = await fetch(`${base}/api/stream`, { headers, signal: abort.signal });
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let cut: number;
      while ((cut = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        if (block.startsWith('event: tick')) yield;
      }
    }
  } catch (err) {
    if (!abort.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
  }
}

async function tab(k: number, deadline: number): Promise<void> {
  if (values.loop) {
    while (Date.now() < deadline) {
      await Promise.all([timed('/api/overview', '/api/overview'), timed('/api/series', '/api/series')]);
      await pages(k);
    }
    return;
  }
  let tick = k;
  let busy: Promise<unknown> | undefined;
  for await (const _ of ticks(deadline)) {
    if (busy) continue; // the UI skips a tick while its previous refresh is still loading
    const refresh = Promise.all([
      timed('/api/overview', '/api/overview'),
      timed('/api/series', '/api/series'),
    ]);
    busy = (tick++ % 5 === 0 ? refresh.then(() => pages(k)) : refresh).finally(() => (busy = undefined));
  }
  await busy;
}

// One tab opened first, untimed (a store-backed dashboard reads the settled hour once here).
const opened = performance.now();
await Promise.all([timed('/api/overview', '/api/overview'), timed('/api/series', '/api/series')]);
await pages(0);
const firstLoadMs = performance.now() - opened;
samples.clear();
[hits, total, failures] = [0, 0, 0];

const rate = await ingestRate(demo, async () => {
  const deadline = Date.now() + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, (_, k) => tab(k, deadline)));
});

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (x: number) => x.toFixed(1).padStart(8);
const row = (name: string, xs: number[]) =>
  `${name.padEnd(22)} ${String(xs.length).padStart(6)} ${fmt(pct(xs, 50))} ${fmt(pct(xs, 95))} ${fmt(pct(xs, 99))} ${fmt(Math.max(...xs))}`;
console.log(
  `\n${clients} ${values.loop ? 'back-to-back clients' : 'dashboard tabs'} for ${seconds} s at --speed ${values.speed}`,
);
if (baseline)
  console.log(
    `ingest with no client:   ${baseline.flowsPerSecond.toFixed(0)} flows/s (${baseline.realTime.toFixed(0)}× real time)`,
  );
console.log(
  `ingest with the clients: ${rate.flowsPerSecond.toFixed(0)} flows/s (${rate.realTime.toFixed(0)}× real time)`,
);
console.log(
  `${'route'.padEnd(22)} ${'n'.padStart(6)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'max ms'.padStart(8)}`,
);
const all: number[] = [];
for (const [route, xs] of [...samples].sort((a, b) => a[0].localeCompare(b[0]))) {
  all.push(...xs);
  console.log(row(route, xs));
}
console.log(row('all', all));
console.log(`first load of every view (untimed above): ${firstLoadMs.toFixed(0)} ms`);
console.log(
  `shared answers (response cache): ${((100 * hits) / Math.max(1, total)).toFixed(0)}%; failed requests: ${failures}`,
);
await demo.close();
