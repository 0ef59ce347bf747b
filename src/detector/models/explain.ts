/**
 * Explanations: which features moved a row away from normal and which detectors noticed, in the
 * shape of the verdict's `explanation` and `detectors` fields, plus a one-line summary a person
 * can read ("fan-out to 120 peers, 118 new (usual 1); 97% failed/SYN-only; isolation-forest 0.99, dbscan 0.97").
 *
 * Deviation = (value − training median) / robust scale (scaler.ts), unclipped; the top features by
 * |deviation| are reported. The summary turns the log-scaled and ratio features back into counts
 * and percentages. Only the cheap arithmetic runs per row; strings are built only when asked.
 */
import { FEATURE_SCHEMA } from '../features/schema.js';
import type { DetectorScore, FeatureContribution } from '../scoring/verdict.js';
import { deviation, type ScalerParams } from './scaler.js';

export interface ExplainOptions {
  /** Features reported (default 5). */
  top?: number;
  /** Features below this |deviation| are left out of the summary (default 2). */
  minDeviation?: number;
  /** Phrases in the summary (default 3). */
  phrases?: number;
}

/**
 * The `top` features of one row by |deviation|, largest first, among the features the models use
 * (a feature the models ignore, like the hour in a model trained on one afternoon, cannot be why).
 */
export function topDeviations(scaler: ScalerParams, row: ArrayLike<number>, top = 5): FeatureContribution[] {
  const names = FEATURE_SCHEMA.names;
  const all: FeatureContribution[] = [];
  for (const j of scaler.columns) {
    const value = row[j]!;
    all.push({
      name: names[j] ?? `f${j}`,
      value,
      baseline: scaler.median[j]!,
      deviation: deviation(scaler, j, value),
    });
  }
  all.sort((a, b) => Math.abs(b.deviation) - Math.abs(a.deviation) || (a.name < b.name ? -1 : 1));
  return all.slice(0, top);
}

const count = (logValue: number) => Math.max(0, Math.round(Math.expm1(logValue)));
const pct = (share: number) => `${Math.round(share * 100)}%`;

function bytes(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1)} GB`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${Math.round(n)} B`;
}

function ms(n: number): string {
  return n >= 1000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
}

/** A phrase for one feature, given the whole row (some phrases combine two features). */
function phrase(f: FeatureContribution, row: ArrayLike<number>): string {
  const F = FEATURE_SCHEMA.index;
  const v = f.value;
  const b = f.baseline;
  const usual = (text: string) => ` (usual ${text})`;
  switch (f.name) {
    case 'flows_log':
      return `${count(v)} flows${usual(String(count(b)))}`;
    case 'bytes_log':
      return `${bytes(Math.expm1(v))}${usual(bytes(Math.expm1(b)))}`;
    case 'packets_log':
      return `${count(v)} packets${usual(String(count(b)))}`;
    case 'peers_log': {
      const peers = count(v);
      const fresh = Math.round(peers * (row[F.new_peer_share] ?? 0));
      const lead = f.deviation > 0 ? `fan-out to ${peers} peers` : `${peers} peers`;
      return `${lead}${fresh > 0 ? `, ${fresh} new` : ''}${usual(String(count(b)))}`;
    }
    case 'dst_ports_log':
      return `${count(v)} destination ports${usual(String(count(b)))}`;
    case 'denied_ratio':
      return `${pct(v)} denied`;
    case 'tcp_share':
      return `${pct(v)} TCP${usual(pct(b))}`;
    case 'udp_share':
      return `${pct(v)} UDP${usual(pct(b))}`;
    case 'icmp_share':
      return `${pct(v)} ICMP${usual(pct(b))}`;
    case 'well_known_port_share':
      return `${pct(v)} to ports < 1024${usual(pct(b))}`;
    case 'ephemeral_port_share':
      return `${pct(v)} to ephemeral ports${usual(pct(b))}`;
    case 'dst_port_entropy':
      return `port entropy ${v.toFixed(1)} bits${usual(b.toFixed(1))}`;
    case 'peer_entropy':
      return `peer entropy ${v.toFixed(1)} bits${usual(b.toFixed(1))}`;
    case 'duration_mean_log':
      return `mean duration ${ms(Math.expm1(v))}${usual(ms(Math.expm1(b)))}`;
    case 'duration_std_log':
      return `duration spread ${ms(Math.expm1(v))}${usual(ms(Math.expm1(b)))}`;
    case 'failed_ratio':
      return `${pct(v)} failed/SYN-only`;
    case 'new_peer_share':
      return `${pct(v)} new peers${usual(pct(b))}`;
    case 'beaconing':
      return `beaconing regularity ${v.toFixed(2)}${usual(b.toFixed(2))}`;
    case 'bytes_per_flow_log':
      return `${bytes(Math.expm1(v))}/flow${usual(bytes(Math.expm1(b)))}`;
    case 'hour_sin':
    case 'hour_cos':
      return 'unusual time of day';
    case 'dow_sin':
    case 'dow_cos':
      return 'unusual day of week';
    default:
      return `${f.name} ${v.toFixed(2)}${usual(b.toFixed(2))}`;
  }
}

function formatScore(s: number): string {
  return s >= 0.995 && s < 1 ? s.toFixed(3) : s.toFixed(2);
}

/** One line: the leading feature phrases, then the detectors that noticed (strongest first). */
export function summarize(
  features: readonly FeatureContribution[],
  detectors: readonly DetectorScore[],
  row: ArrayLike<number>,
  options: ExplainOptions = {},
): string {
  const minDeviation = options.minDeviation ?? 2;
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const f of features) {
    if (Math.abs(f.deviation) < minDeviation || parts.length >= (options.phrases ?? 3)) continue;
    const p = phrase(f, row);
    if (!seen.has(p)) parts.push(p);
    seen.add(p);
  }
  if (parts.length === 0) parts.push('no feature far from its usual range');
  const ranked = [...detectors].sort((a, b) => b.score - a.score || (a.detector < b.detector ? -1 : 1));
  const noticed = ranked.filter((d) => d.score >= 0.9);
  const shown = (noticed.length > 0 ? noticed : ranked.slice(0, 1)).map(
    (d) => `${d.detector} ${formatScore(d.score)}`,
  );
  return [...parts, shown.join(', ')].filter((s) => s.length > 0).join('; ');
}

/** The verdict's `explanation` for one row. */
export function explainRow(
  scaler: ScalerParams,
  row: ArrayLike<number>,
  detectors: readonly DetectorScore[],
  options: ExplainOptions = {},
): { summary: string; features: FeatureContribution[] } {
  const features = topDeviations(scaler, row, options.top ?? 5);
  return { summary: summarize(features, detectors, row, options), features };
}
