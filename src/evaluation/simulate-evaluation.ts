/**
 * Evaluation on simulator captures: a seeded cluster with every attack type once, one after
 * another after an attack-free warm-up (defaultAttackPlan), written as a Foresight NDJSON file
 * and evaluated like any labelled file, with the simulator's identity map as enrichment (so
 * criticality labels feed impact). Training uses the first `trainShare` of the span (by time),
 * inside the warm-up. Per attack: detected when a window holding its flows reaches the alert threshold;
 * time to alert from the attack's start to that window's end plus the allowed lateness.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { AddressAnonymizer } from '../flows/anonymizer.js';
import { StaticEnricher } from '../flows/enrichment.js';
import { getFormat } from '../flows/formats/index.js';
import type { Logger } from '../observability/logger.js';
import type { Registry } from '../observability/metrics.js';
import { createSimulator, defaultAttackPlan, type AttackLabel, type AttackType } from '../sim/index.js';
import { evaluateFile, type EvaluateFileOptions, type EvaluationResult } from './offline-evaluation.js';

export interface SimulationOptions {
  config: Config;
  logger: Logger;
  registry: Registry;
  minutes: number;
  rate: number;
  seed: number;
  /** Default 2026-11-02 13:00 UTC (a Monday afternoon). */
  start?: number;
  /** Share of the span trained on (default 0.2; the plan keeps the first 25% attack-free). */
  trainShare?: number;
  types?: readonly AttackType[];
  alertThreshold: number;
  blockThreshold: number;
  anonymizer: AddressAnonymizer;
  progress?: boolean;
  onScored?: EvaluateFileOptions['onScored'];
}

export interface AttackOutcome {
  id: string;
  type: AttackType;
  start: number;
  end: number;
  flows: number;
  detected: boolean;
  alertAt?: number;
  timeToAlertMs?: number;
  /** The entity whose window alerted first. */
  alertedEntity?: string;
  maxThreat: number;
  windows: number;
}

export interface SimulationResult {
  evaluation: EvaluationResult;
  attacks: AttackOutcome[];
  /** Windows without attack flows that reached the alert threshold, and their share. */
  falseAlerts: { windows: number; share: number; entities: string[] };
}

export function attackOutcome(label: AttackLabel, r: EvaluationResult, windowMs: number): AttackOutcome {
  const windows = r.windows.filter(
    (w) => w.maliciousFlows > 0 && w.windowEnd > label.start && w.windowStart < label.end + windowMs,
  );
  const out: AttackOutcome = {
    id: label.id,
    type: label.type,
    start: label.start,
    end: label.end,
    flows: label.flows,
    detected: false,
    maxThreat: windows.reduce((m, w) => Math.max(m, w.threat), 0),
    windows: windows.length,
  };
  for (const w of windows) {
    if (w.threat < r.alertThreshold) continue;
    const at = w.windowEnd + r.latenessMs;
    if (out.alertAt === undefined || at < out.alertAt) {
      out.alertAt = at;
      out.alertedEntity = `${w.kind}:${w.entity}`;
    }
  }
  if (out.alertAt !== undefined) {
    out.detected = true;
    out.timeToAlertMs = out.alertAt - label.start;
  }
  return out;
}

export async function evaluateSimulation(o: SimulationOptions): Promise<SimulationResult> {
  const start = o.start ?? Date.UTC(2026, 10, 2, 13, 0, 0);
  const span = o.minutes * 60_000;
  const sim = createSimulator({
    seed: o.seed,
    start,
    rate: o.rate,
    attacks: defaultAttackPlan(start, span, o.types ? { types: o.types } : {}),
  });
  const dir = await mkdtemp(join(tmpdir(), 'foresight-eval-'));
  const file = join(dir, 'flows.ndjson');
  try {
    const out = createWriteStream(file);
    const format = getFormat('foresight-ndjson');
    let batch = [];
    for (const f of sim.flows(start + span)) {
      batch.push(f);
      if (batch.length >= 5000) {
        if (!out.write(format.write(batch).join('\n') + '\n')) await once(out, 'drain');
        batch = [];
      }
    }
    if (batch.length > 0) out.write(format.write(batch).join('\n') + '\n');
    out.end();
    await once(out, 'finish');
    const evaluation = await evaluateFile({
      file,
      format: 'foresight-ndjson',
      config: o.config,
      // By time, not by windows: the plan's warm-up is a share of the span, and attacks add windows.
      trainUntil: start + (o.trainShare ?? 0.2) * span,
      trainShare: o.trainShare ?? 0.2,
      alertThreshold: o.alertThreshold,
      blockThreshold: o.blockThreshold,
      enricher: new StaticEnricher(sim.identities()),
      anonymizer: o.anonymizer,
      logger: o.logger,
      registry: o.registry,
      ...(o.progress === undefined ? {} : { progress: o.progress }),
      ...(o.onScored ? { onScored: o.onScored } : {}),
    });
    const windowMs = o.config.features.windowSeconds * 1000;
    const attacks = sim.labels(start + span).map((l) => attackOutcome(l, evaluation, windowMs));
    const quiet = evaluation.windows.filter((w) => w.maliciousFlows === 0);
    const alerts = quiet.filter((w) => w.threat >= o.alertThreshold);
    return {
      evaluation,
      attacks,
      falseAlerts: {
        windows: alerts.length,
        share: quiet.length > 0 ? alerts.length / quiet.length : 0,
        entities: [...new Set(alerts.map((w) => `${w.kind}:${w.entity}`))].sort(),
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const iso = (t: number) => new Date(t).toISOString().slice(11, 19);

export function formatSimulationReport(r: SimulationResult): string {
  const lines = [
    `simulator: ${r.evaluation.extraction.flows} flows, trained until ${new Date(r.evaluation.trainUntil).toISOString()}`,
  ];
  for (const m of r.evaluation.training.models)
    lines.push(`  ${m.name.padEnd(18)} ${m.decision} ${m.reason}`);
  lines.push('attack          start     flows  detected  time to alert  max threat  first alerting entity');
  for (const a of r.attacks) {
    lines.push(
      `${a.type.padEnd(15)} ${iso(a.start)} ${String(a.flows).padStart(7)}  ${(a.detected ? 'yes' : 'NO').padEnd(8)}  ` +
        `${(a.timeToAlertMs === undefined ? '–' : `${(a.timeToAlertMs / 1000).toFixed(0)} s`).padStart(13)}  ` +
        `${a.maxThreat.toFixed(3).padStart(10)}  ${a.alertedEntity ?? ''}`,
    );
  }
  const detected = r.attacks.filter((a) => a.detected).length;
  lines.push(`detected ${detected} of ${r.attacks.length} attacks`);
  lines.push(
    `false alerts: ${r.falseAlerts.windows} windows without attack flows (${(r.falseAlerts.share * 100).toFixed(2)}%), ` +
      `${r.falseAlerts.entities.length} entities${r.falseAlerts.entities.length > 0 ? `: ${r.falseAlerts.entities.slice(0, 8).join(', ')}` : ''}`,
  );
  const blocked = r.evaluation.normalBlocked;
  lines.push(
    `normal entities at the block threshold: ${blocked.length}${blocked.length > 0 ? ` (${blocked.map((e) => e.entity).join(', ')})` : ''}`,
  );
  return lines.join('\n');
}
