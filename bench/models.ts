/**
 * `npm run bench:models`: training time on 100k rows, scoring throughput (rows/s) at batch 64 and
 * 1024 through onnxruntime-node and through the TypeScript reference, and peak RSS with every
 * model loaded. Prints a table; figures go into BENCHMARKS.md by hand.
 *
 * Models are a list of entries (`BenchModel`), so more models (the forecasters) are one entry each.
 * The 100k training rows are real CTU-13 windows from the test fixture, resampled with ±1% jitter
 * (so not every row is an exact duplicate); `--rows N` changes the count. Peak RSS is measured in
 * a fresh child process that only loads the exported models and scores with them, as a detector
 * does, so training's transient memory does not count.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import {
  detectorFromParams,
  trainAnomalyModels,
  type AnomalyModelParams,
  type TrainedAnomalyModel,
} from '../src/detector/models/anomaly-models.js';
import { matrixFromRows, sliceRows } from '../src/detector/models/matrix.js';
import { ModelRng } from '../src/detector/models/random.js';
import type { AnomalyDetectorName, Matrix } from '../src/detector/models/types.js';
import { OnnxScorer } from '../src/detector/scoring/onnx-scorer.js';
import { forecastBenchModels } from './forecast-entries.js';

/** One model in the benchmark. */
export interface BenchModel {
  name: string;
  /** Trains on the benchmark rows; returns the training time in ms and the ONNX bytes. */
  train(x: Matrix): Promise<{ trainMs: number; onnx: Uint8Array }>;
  /** The ONNX inputs for a batch of rows. */
  feeds(batch: Matrix): Record<string, ort.Tensor>;
  /** The TypeScript reference on a batch of rows. */
  reference(batch: Matrix): void;
}

const BATCHES = [64, 1024];
const SECONDS_PER_FIGURE = 1;

function anomalyEntry(name: AnomalyDetectorName): BenchModel & { trained?: TrainedAnomalyModel } {
  const entry: BenchModel & { trained?: TrainedAnomalyModel } = {
    name,
    async train(x) {
      const t = await trainAnomalyModels(x, { seed: 1, detectors: [name] });
      entry.trained = t.models[0]!;
      return { trainMs: entry.trained.metrics.trainMs, onnx: entry.trained.onnx };
    },
    feeds: (batch) => ({ X: new ort.Tensor('float32', batch.data, [batch.rows, batch.dims]) }),
    reference: (batch) => {
      detectorFromParams(entry.trained!.params).score(batch);
    },
  };
  return entry;
}

export const MODELS: BenchModel[] = [
  anomalyEntry('isolation-forest'),
  anomalyEntry('ocsvm'),
  anomalyEntry('kmeans'),
  anomalyEntry('dbscan'),
  ...forecastBenchModels(),
];

/**
 * Rows per second of `fn` over consecutive batches of `size` rows (cycling through the first 64k
 * rows, so caches do not see the same few rows again and again), for about a second after a warm-up.
 */
async function rate<T>(
  x: Matrix,
  size: number,
  prepare: (batch: Matrix) => T,
  fn: (prepared: T) => unknown,
): Promise<number> {
  const prepared: T[] = [];
  for (let from = 0; from + size <= Math.min(x.rows, 65_536); from += size)
    prepared.push(prepare(sliceRows(x, from, from + size)));
  for (let i = 0; i < 5; i++) await fn(prepared[i % prepared.length]!);
  let rows = 0;
  let i = 0;
  const start = performance.now();
  while (performance.now() - start < SECONDS_PER_FIGURE * 1000) {
    await fn(prepared[i++ % prepared.length]!);
    rows += size;
  }
  return rows / ((performance.now() - start) / 1000);
}

function benchRows(count: number): Matrix {
  const path = new URL('../test/fixtures/features/ctu13-windows.json', import.meta.url);
  const fixture = JSON.parse(readFileSync(path, 'utf8')) as {
    rows: [string, string, number, string, number, number[]][];
  };
  const vectors = fixture.rows.map((r) => r[5]);
  const rng = new ModelRng(2024);
  const rows: number[][] = [];
  for (let i = 0; i < count; i++) {
    const v = vectors[rng.int(vectors.length)]!;
    rows.push(v.map((x) => x * (1 + (rng.next() - 0.5) * 0.02)));
  }
  return matrixFromRows(rows);
}

const fmt = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)}k` : n.toFixed(0);
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const rowsArg = process.argv.indexOf('--rows');
  const count = rowsArg >= 0 ? Number(process.argv[rowsArg + 1]) : 100_000;
  const x = benchRows(count);
  console.log(`bench:models — ${count} training rows × ${x.dims} features, node ${process.version}`);
  const table: string[][] = [];
  const sessions: ort.InferenceSession[] = [];
  for (const m of MODELS) {
    const { trainMs, onnx } = await m.train(x);
    const session = await ort.InferenceSession.create(onnx, { logSeverityLevel: 3, intraOpNumThreads: 1 });
    sessions.push(session);
    const row = [m.name, trainMs.toFixed(0), `${(onnx.length / 1024).toFixed(0)} KiB`];
    for (const b of BATCHES)
      row.push(
        fmt(
          await rate(
            x,
            b,
            (batch) => m.feeds(batch),
            (feeds) => session.run(feeds),
          ),
        ),
      );
    for (const b of BATCHES)
      row.push(
        fmt(
          await rate(
            x,
            b,
            (batch) => batch,
            (batch) => m.reference(batch),
          ),
        ),
      );
    table.push(row);
  }
  const anomaly = MODELS.filter((m): m is ReturnType<typeof anomalyEntry> => 'trained' in m);
  const scorer = await OnnxScorer.create(
    anomaly.map((m) => ({ version: 1, params: m.trained!.params, onnx: m.trained!.onnx })),
  );
  const full = ['scorer: 4 models + calibration + ensemble', '', ''];
  const same = (batch: Matrix) => batch;
  for (const b of BATCHES)
    full.push(fmt(await rate(x, b, same, (batch) => scorer.score(batch, { explain: false }))));
  full.push('', '');
  table.push(full);
  const explained = ['scorer, with explanations', '', ''];
  for (const b of BATCHES) explained.push(fmt(await rate(x, b, same, (batch) => scorer.score(batch))));
  explained.push('', '');
  table.push(explained);

  const header = ['model', 'train 100k (ms)', 'ONNX size', 'ONNX b64', 'ONNX b1024', 'TS b64', 'TS b1024'];
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of table) console.log(line(r));
  console.log('(rows/s; ONNX through onnxruntime-node with one intra-op thread)');
  const t0 = performance.now();
  const all = await trainAnomalyModels(x, { seed: 1 });
  console.log(
    `trainAnomalyModels on ${count} rows (scaler, 4 detectors, calibration on ${all.rows.calibration} held-out rows, ` +
      `ONNX export): ${(performance.now() - t0).toFixed(0)} ms`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'bench-models-'));
  for (const m of anomaly) {
    writeFileSync(join(dir, `${m.name}.onnx`), m.trained!.onnx);
    writeFileSync(join(dir, `${m.name}.json`), JSON.stringify(m.trained!.params));
  }
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--rss', dir],
    {
      encoding: 'utf8',
    },
  );
  rmSync(dir, { recursive: true, force: true });
  process.stdout.write(child.stdout);
  if (child.status !== 0) process.stderr.write(child.stderr);
  await scorer.close();
  await Promise.all(sessions.map((s) => s.release()));
}

/** Child process: load the models from `dir`, score like a detector, report memory. */
async function measureRss(dir: string): Promise<void> {
  const x = benchRows(20_000);
  const before = process.memoryUsage().rss;
  const models = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => ({
      version: 1,
      params: JSON.parse(readFileSync(join(dir, f), 'utf8')) as AnomalyModelParams,
      onnx: readFileSync(join(dir, f.replace(/\.json$/, '.onnx'))),
    }));
  const scorer = await OnnxScorer.create(models);
  const loaded = process.memoryUsage().rss;
  for (let from = 0; from < x.rows; from += 2048) await scorer.score(sliceRows(x, from, from + 2048));
  const after = process.memoryUsage().rss;
  await scorer.close();
  console.log(
    `RSS, fresh process (node + tsx + onnxruntime + 20k rows in memory): ${mib(before)} before loading, ` +
      `${mib(loaded)} with all ${models.length} models loaded, ${mib(after)} after scoring the 20k rows in batches ` +
      `of 2048 (runs of ≤ 1024 rows); peak ${mib(process.resourceUsage().maxRSS * 1024)}`,
  );
}

const rssArg = process.argv.indexOf('--rss');
if (rssArg >= 0) await measureRss(process.argv[rssArg + 1]!);
else await main();
