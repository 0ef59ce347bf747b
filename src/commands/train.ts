/**
 * `foresight train`: one training run against the configured store — read feature history and
 * analyst feedback, train every model, validate each candidate against the active version,
 * promote or reject (docs/adr/0011). Takes the trainer lease like the detector's loop, so it
 * never runs beside another trainer.
 */
import { hostname } from 'node:os';
import { Command } from 'commander';
import { Leases } from '../detector/store/leases.js';
import { ModelRegistry } from '../detector/store/model-registry.js';
import { Trainer, type TrainReport } from '../detector/training/trainer.js';
import { commandContext } from './context.js';
import { openFeatureStore } from './runtime.js';

interface TrainOptions {
  until?: string;
  from?: string;
  reason?: string;
  anomalyOnly: boolean;
}

function time(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new Error(`--${name}: expected an ISO time, got "${text}"`);
  return ms;
}

export function formatTrainReport(r: TrainReport): string {
  if (!r.ran) return `not trained: the trainer lease is held by ${r.heldBy ?? 'another process'}`;
  const iso = (t: number) => new Date(t).toISOString();
  const lines: string[] = [];
  if (r.span && r.rows) {
    lines.push(
      `history ${iso(r.span.from)} → ${iso(r.span.to)}, holdout from ${iso(r.span.cut)}: ` +
        `${r.rows.train} rows to train, ${r.rows.holdout} to validate, ` +
        `${r.rows.truePositive} confirmed-attack and ${r.rows.falsePositive} cleared windows from ${r.feedbackUsed} feedback`,
    );
  }
  for (const m of r.models) {
    const version = m.version === undefined ? '' : `v${m.version} `;
    const active = m.activeVersion === undefined ? '' : ` (active: v${m.activeVersion})`;
    lines.push(`  ${m.name.padEnd(30)} ${m.decision.padEnd(9)} ${version}${m.reason}${active}`);
  }
  lines.push(`took ${(r.ms / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

export function trainCommand(): Command {
  return new Command('train')
    .summary('Train every model on the stored feature history and promote the better ones')
    .description(
      'Read feature history and analyst feedback from the store, train the anomaly detectors (per entity ' +
        'kind), the per-entity baselines and the traffic forecasters, validate each candidate on the newest ' +
        'part of the history (and on feedback) against the active version, and promote it or keep the active ' +
        'one. Only one trainer runs at a time (a lease in the store).',
    )
    .option('--until <time>', 'train on windows ending by this ISO time (default: all history)')
    .option('--from <time>', 'start of the history (default: training.historyDays before --until)')
    .option('--reason <text>', "recorded in the new versions' notes", 'manual training')
    .option('--anomaly-only', 'skip the forecasters', false)
    .action(async (opts: TrainOptions, cmd: Command) => {
      const ctx = commandContext(cmd);
      const store = await openFeatureStore(ctx);
      try {
        const trainer = new Trainer({
          db: store.db,
          registry: new ModelRegistry(store.db),
          leases: new Leases(store.db),
          config: ctx.config,
          logger: ctx.logger,
          holder: `train@${hostname()}-${process.pid}`,
        });
        const until = time('until', opts.until);
        const from = time('from', opts.from);
        const report = await trainer.run({
          ...(until === undefined ? {} : { until }),
          ...(from === undefined ? {} : { from }),
          ...(opts.reason ? { reason: opts.reason } : {}),
          anomalyOnly: opts.anomalyOnly,
        });
        console.log(formatTrainReport(report));
        if (!report.ran) process.exitCode = 3;
      } finally {
        await store.close();
      }
    });
}
