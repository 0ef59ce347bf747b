/** Plain-text report of an evaluation run, as `foresight evaluate` prints it. */
import type { Confusion } from '../detector/training/ranking-metrics.js';
import type { EvaluationResult, KindFilter } from './offline-evaluation.js';
import type { RankingSummary } from './metrics.js';
import { bootstrapAuc, sourceRanking, type SourceRanking, type SourceScore } from './source-metrics.js';

const f3 = (x: number | undefined) => (x === undefined ? '  –  ' : x.toFixed(3));
const iso = (t: number) => new Date(t).toISOString().replace('.000Z', 'Z');

function seconds(ms: number | undefined): string {
  if (ms === undefined) return '–';
  return `${(ms / 1000).toFixed(1)} s`;
}

function confusion(c: Confusion): string {
  return `P ${f3(c.precision)} R ${f3(c.recall)} F1 ${f3(c.f1)} (tp ${c.tp} fp ${c.fp} fn ${c.fn})`;
}

function line(label: string, s: RankingSummary): string {
  return (
    `  ${label.padEnd(28)} ROC-AUC ${f3(s.rocAuc)}  PR-AUC ${f3(s.prAuc)}  ` +
    `${confusion(s.atThreshold)}  [${s.positives}+ / ${s.negatives}−]`
  );
}

export function formatReport(r: EvaluationResult): string {
  const out: string[] = [];
  const t = r.truth.byClass;
  out.push(`file          ${r.file} (${r.extraction.format})`);
  out.push(
    `flows         ${r.extraction.flows} in windows, ${r.extraction.late} late (behind the watermark, dropped) (labels of all: malicious ${t.malicious}, normal ${t.normal}, background ${t.background}, unlabelled ${t.unlabelled})`,
  );
  const first = r.extraction.firstEvent;
  const last = r.extraction.lastEvent;
  if (first !== undefined && last !== undefined) out.push(`span          ${iso(first)} → ${iso(last)}`);
  if (!r.training.ran)
    out.push('trained       nothing: every window scored by the rules alone (--rules-only)');
  else
    out.push(
      `trained until ${iso(r.trainUntil)} (${r.training.rows?.train ?? 0} training rows, ${r.training.rows?.holdout ?? 0} holdout)`,
    );
  if (r.reviewed > 0)
    out.push(
      `feedback      ${r.reviewed} sources marked TruePositive from training-span labels (--review-training-span)`,
    );
  for (const m of r.training.models) {
    out.push(
      `  ${m.name.padEnd(18)} ${m.decision.padEnd(9)} ${m.version === undefined ? '' : `v${m.version} `}${m.reason}`,
    );
  }
  out.push(`scored        ${r.windows.length} windows after training, models ${JSON.stringify(r.versions)}`);
  out.push(
    `thresholds    alert ${r.alertThreshold}, block ${r.blockThreshold}; alert time = window end + ${r.latenessMs / 1000} s lateness`,
  );
  for (const k of ['all', 'source', 'destination'] as KindFilter[]) {
    out.push(`${k} entities:`);
    out.push(line('per window (vs all)', r.windowMetrics[k].all));
    out.push(line('per window (vs normal only)', r.windowMetrics[k].verified));
    out.push(line('per entity (vs all)', r.entityMetrics[k].all));
    out.push(line('per entity (vs normal only)', r.entityMetrics[k].verified));
  }
  out.push(...sourceLines(r.sourceRanking));
  out.push('malicious sources (first alert = window end + lateness):');
  for (const a of r.timings.slice(0, 20)) {
    const labels = r.truth.entities.get(a.entity)?.labels.join(', ') ?? '';
    out.push(
      `  ${a.entity.padEnd(28)} ${String(a.maliciousFlows).padStart(6)} malicious flows` +
        ` (${a.beforeScoring} in training span); first scored ${a.firstScoredMalicious === undefined ? '–' : iso(a.firstScoredMalicious)}` +
        `; alert ${a.alertAt === undefined ? 'never' : iso(a.alertAt)} (${seconds(a.timeToAlertMs)} after)` +
        `; ${(a.shareAfterAlert * 100).toFixed(1)}% of its malicious flows after the alert  ${labels}`,
    );
  }
  if (r.timings.length > 20) out.push(`  … and ${r.timings.length - 20} more`);
  const detected = r.timings.filter((a) => a.alertAt !== undefined).length;
  out.push(`  alerted ${detected} of ${r.timings.length} malicious sources`);
  out.push(
    `block threshold: ${r.normalBlocked.length} entities of Normal-labelled hosts reach it` +
      `${r.normalBlocked.length > 0 ? ` (${r.normalBlocked.map((e) => `${e.kind}:${e.entity} ${e.maxThreat.toFixed(3)}`).join(', ')})` : ''}` +
      `; ${r.backgroundBlocked} Background (unverified) entities reach it`,
  );
  return out.join('\n');
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The per-source block: both views, then every negative on its own (there are few). */
function sourceLines(s: SourceRanking, bootstrap?: string[]): string[] {
  const out = [
    `per source (highest score over its windows; ${s.positives} malicious, ${s.negatives} benign; ` +
      `not ranked: ${s.background} background-only, ${s.unlabelled} unlabelled):`,
    `  by highest threat             ROC-AUC ${f3(s.threat.rocAuc)}  PR-AUC ${f3(s.threat.prAuc)}`,
    `  by highest anomaly            ROC-AUC ${f3(s.anomaly.rocAuc)}  PR-AUC ${f3(s.anomaly.prAuc)}`,
    `  by the scan test alone        ROC-AUC ${f3(s.scan.rocAuc)}  PR-AUC ${f3(s.scan.prAuc)}`,
    ...(bootstrap ?? []),
  ];
  for (const n of s.negativeDetails) {
    out.push(
      `  benign ${n.group === undefined ? '' : `${n.group} `}${n.entity}: highest threat ${n.maxThreat.toFixed(3)} ` +
        `(${pct(n.positivesAboveByThreat)} of malicious sources above), highest anomaly ` +
        `${n.maxAnomaly.toFixed(3)} (${pct(n.positivesAboveByAnomaly)} above)`,
    );
  }
  return out;
}

/** Per-source figures over several captures evaluated one by one (each with its own training). */
export function formatPooledSources(sources: readonly SourceScore[], captures: number): string {
  const ranking = sourceRanking(sources);
  const intervals: string[] = [];
  for (const v of ['threat', 'anomaly', 'scan'] as const) {
    const b = bootstrapAuc(sources, v);
    if (b)
      intervals.push(
        `  by highest ${v.padEnd(8)} ${pct(b.level)} bootstrap interval ${b.low.toFixed(3)} … ${b.high.toFixed(3)} ` +
          `(${b.resamples} stratified resamples; ${ranking.negatives} benign sources, so it mostly reflects them)`,
      );
  }
  return [`pooled over ${captures} captures:`, ...sourceLines(ranking, intervals)].join('\n');
}
