/**
 * The metrics Foresight exports, three ways, so tests can hold them against each other: as the
 * code declares them (a scan of src/ for the observability helpers and the controller's cache
 * gauges, plus prom-client's default metrics from a real registry), as docs/metrics.md documents
 * them, and as PromQL expressions use them (metric names and label names).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { createRegistry } from '../../src/observability/metrics.js';

export const REPO = resolve(import.meta.dirname, '../..');

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary';

export interface MetricInfo {
  name: string;
  type: MetricType;
  labels: string[];
  /** Where it is declared (file), or `prom-client defaults`. */
  origin: string;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    // The browser bundle declares no metrics.
    if (entry.isDirectory()) {
      if (path !== join(REPO, 'src/dashboard/web')) out.push(...sourceFiles(path));
    } else if (entry.name.endsWith('.ts')) out.push(path);
  }
  return out;
}

const STRING = String.raw`'(?:[^'\\]|\\.)*'`;
const LABELS = String.raw`\[([^\]]*)\]`;
/** counter(registry, 'name', 'help'[, ['a', 'b']]) and the same for gauge and histogram. */
const HELPER = new RegExp(
  String.raw`\b(counter|gauge|histogram)\(\s*[\w.]+\s*,\s*'(foresight_[a-z0-9_]+)'\s*,\s*${STRING}\s*(?:,\s*${LABELS})?`,
  'g',
);
/** The controller's collect-time gauges: cacheGauge('name', 'help', ['a']). */
const CACHE_GAUGE = new RegExp(
  String.raw`\bcacheGauge\(\s*'(foresight_[a-z0-9_]+)'\s*,\s*${STRING}\s*,\s*${LABELS}`,
  'g',
);
const ANY_NAME = /'(foresight_[a-z0-9_]+)'/g;

function labelList(text: string | undefined): string[] {
  return [...(text ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]!).sort();
}

export interface SourceScan {
  metrics: Map<string, MetricInfo>;
  /** Metric-like string literals the scan could not tie to a declaration. */
  unrecognised: { name: string; file: string }[];
  /** Names declared twice with a different type or labels (prom-client would return the first). */
  conflicts: string[];
}

/** Every metric declared in src/, by scanning the source. */
export function scanSourceMetrics(): SourceScan {
  const metrics = new Map<string, MetricInfo>();
  const unrecognised: { name: string; file: string }[] = [];
  const conflicts: string[] = [];
  for (const file of sourceFiles(join(REPO, 'src'))) {
    const text = readFileSync(file, 'utf8');
    const origin = relative(REPO, file);
    const found = new Set<string>();
    const add = (name: string, type: MetricType, labels: string[]) => {
      found.add(name);
      const prior = metrics.get(name);
      if (prior && (prior.type !== type || prior.labels.join() !== labels.join())) conflicts.push(name);
      if (!prior) metrics.set(name, { name, type, labels, origin });
    };
    for (const m of text.matchAll(HELPER)) add(m[2]!, m[1] as MetricType, labelList(m[3]));
    for (const m of text.matchAll(CACHE_GAUGE)) add(m[1]!, 'gauge', labelList(m[2]));
    for (const m of text.matchAll(ANY_NAME))
      if (!found.has(m[1]!)) unrecognised.push({ name: m[1]!, file: origin });
  }
  return { metrics, unrecognised, conflicts };
}

/** prom-client's default process and Node.js metrics, as createRegistry() registers them. */
export async function defaultMetrics(): Promise<Map<string, MetricInfo>> {
  const registry = createRegistry();
  const out = new Map<string, MetricInfo>();
  for (const m of await registry.getMetricsAsJSON()) {
    const labels = new Set<string>();
    for (const v of m.values as { labels: Record<string, unknown> }[])
      for (const k of Object.keys(v.labels)) if (k !== 'le') labels.add(k);
    out.set(m.name, {
      name: m.name,
      type: String(m.type) as MetricType,
      labels: [...labels].sort(),
      origin: 'prom-client defaults',
    });
  }
  registry.clear();
  return out;
}

/** Everything a Foresight process may export. */
export async function exportedMetrics(): Promise<Map<string, MetricInfo>> {
  const all = new Map(await defaultMetrics());
  for (const [name, info] of scanSourceMetrics().metrics) all.set(name, info);
  return all;
}

export interface DocumentedMetric {
  name: string;
  type: string;
  labels: string[];
  meaning: string;
}

/** The rows of the table in docs/metrics.md. */
export function documentedMetrics(): DocumentedMetric[] {
  const text = readFileSync(join(REPO, 'docs/metrics.md'), 'utf8');
  const rows: DocumentedMetric[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('| `foresight_')) continue;
    const cells = line.split('|').map((c) => c.trim());
    // ['', name, type, labels, component, meaning, '']
    rows.push({
      name: cells[1]!.replace(/`/g, ''),
      type: cells[2]!,
      labels: [...cells[3]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).sort(),
      meaning: cells[5] ?? '',
    });
  }
  return rows;
}

/** Labels every scraped series carries besides its own (Prometheus and the ServiceMonitor add them). */
export const TARGET_LABELS = new Set([
  'namespace',
  'pod',
  'service',
  'job',
  'instance',
  'endpoint',
  'container',
  'component',
]);

export interface ExpressionProblem {
  expr: string;
  problem: string;
}

/**
 * Checks that a PromQL expression names only exported metrics (histograms through their
 * _bucket/_sum/_count series) and only labels those metrics carry.
 */
export function checkExpression(
  expr: string,
  exported: ReadonlyMap<string, MetricInfo>,
): ExpressionProblem[] {
  const problems: ExpressionProblem[] = [];
  const used: MetricInfo[] = [];
  for (const m of expr.matchAll(/\bforesight_[a-z0-9_]+\b/g)) {
    const name = m[0];
    const direct = exported.get(name);
    const base = name.replace(/_(bucket|sum|count)$/, '');
    const viaHistogram = base !== name ? exported.get(base) : undefined;
    if (direct) {
      if (direct.type === 'histogram')
        problems.push({ expr, problem: `${name} is a histogram: use ${name}_bucket, _sum or _count` });
      used.push(direct);
    } else if (viaHistogram && (viaHistogram.type === 'histogram' || viaHistogram.type === 'summary')) {
      used.push(viaHistogram);
    } else {
      problems.push({ expr, problem: `${name} is not a metric Foresight exports` });
    }
  }
  if (used.length === 0) problems.push({ expr, problem: 'names no Foresight metric' });
  const known = new Set<string>(TARGET_LABELS);
  for (const info of used) {
    for (const l of info.labels) known.add(l);
    if (info.type === 'histogram') known.add('le');
  }
  const labelsUsed = new Set<string>();
  for (const m of expr.matchAll(/foresight_[a-z0-9_]+\s*\{([^}]*)\}/g))
    for (const l of m[1]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)) labelsUsed.add(l[1]!);
  for (const m of expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g))
    for (const l of m[1]!
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean))
      labelsUsed.add(l);
  for (const l of labelsUsed)
    if (!known.has(l)) problems.push({ expr, problem: `label ${l} is on none of its metrics` });
  return problems;
}
