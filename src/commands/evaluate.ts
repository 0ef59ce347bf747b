/**
 * `foresight evaluate`: labelled data → detection figures, offline, with the production
 * pipeline (src/evaluation). A flow file, or `--simulate` for simulator captures with every
 * attack type. Thresholds default to the ThreatPolicy ladder's (docs/adr/0012).
 */
import { Command, Option } from 'commander';
import { noAnonymization } from '../flows/anonymizer.js';
import { formatNames } from '../flows/formats/index.js';
import { basename } from 'node:path';
import { formatPooledSources, formatReport } from '../evaluation/report.js';
import { evaluateFile, type EvaluationResult } from '../evaluation/offline-evaluation.js';
import { bootstrapAuc, sourceRanking } from '../evaluation/source-metrics.js';
import { evaluateSimulation, formatSimulationReport } from '../evaluation/simulate-evaluation.js';
import { commandContext, positiveNumber } from './context.js';
import { anonymizerFrom, enricherFrom } from './runtime.js';

/** Alert = the ThreatPolicy default incident threshold; Block = the ladder's default Block step. */
export const DEFAULT_ALERT_THRESHOLD = 0.5;
export const DEFAULT_BLOCK_THRESHOLD = 0.8;
export const DEFAULT_TRAIN_SHARE = 0.1;

interface EvaluateOptions {
  format?: string;
  trainUntil?: string;
  trainShare: number;
  internal?: string;
  lateness?: number;
  alert: number;
  block: number;
  anonymize: boolean;
  reviewTrainingSpan: boolean;
  history?: string;
  rulesOnly: boolean;
  simulate: boolean;
  minutes: number;
  rate: number;
  seed: number;
  json: boolean;
}

function share(text: string): number {
  const n = Number(text);
  if (!(n > 0 && n < 1)) throw new Error(`expected a share between 0 and 1, got "${text}"`);
  return n;
}

function unit(text: string): number {
  const n = Number(text);
  if (!(n >= 0 && n <= 1)) throw new Error(`expected a number in [0, 1], got "${text}"`);
  return n;
}

export function evaluateCommand(): Command {
  return new Command('evaluate')
    .summary('Measure detection on labelled flows (or simulator captures) with the production pipeline')
    .description(
      'Run the detector pipeline offline on a labelled flow file: features into an in-memory store, train ' +
        'every model on the windows before --train-until, score the rest, and print per-window and ' +
        'per-entity ROC-AUC/PR-AUC, precision/recall/F1 at the alert threshold, time from each malicious ' +
        "source's first malicious flow to its first alert, the share of its malicious flows after that " +
        'alert, and whether any Normal-labelled host reaches the block threshold. --simulate runs simulator ' +
        'captures with every attack type instead and reports each type as detected or not.',
    )
    .argument(
      '[files...]',
      'labelled flow files (format sniffed unless --format); several are evaluated one by one and their ' +
        'per-source figures pooled',
    )
    .addOption(new Option('-f, --format <format>', 'input format').choices(formatNames()))
    .option('--train-until <time>', 'train on windows ending by this ISO time (default: a share of the span)')
    .option(
      '--train-share <share>',
      'train until this share of the windows have ended, when --train-until is absent',
      share,
      DEFAULT_TRAIN_SHARE,
    )
    .option('--internal <cidrs>', 'comma-separated internal ranges (destinations there become entities)')
    .option(
      '--lateness <seconds>',
      'allowed lateness of flows (features.allowedLatenessSeconds); Zeek logs connections when they end',
      positiveNumber('lateness'),
    )
    .option(
      '--alert <threshold>',
      'alert (operating) threshold on the threat score',
      unit,
      DEFAULT_ALERT_THRESHOLD,
    )
    .option('--block <threshold>', 'block threshold on the threat score', unit, DEFAULT_BLOCK_THRESHOLD)
    .option(
      '--review-training-span',
      'act as an analyst who reviewed the training span: sources with malicious labels before the cut get ' +
        'TruePositive feedback (excluded from training); labels after the cut are never used',
      false,
    )
    .option(
      '--history <files>',
      'comma-separated other captures used as the preceding days (shifted by whole days) and trained on; ' +
        'the file itself is then scored whole',
    )
    .option(
      '--rules-only',
      'train nothing: score every window with the detectors that need no training (the scan test), ' +
        'as a detector does before its first models',
      false,
    )
    .option('--anonymize', 'anonymize addresses as the detector does (entity names become tokens)', false)
    .option('--simulate', 'evaluate simulator captures with every attack type instead of a file', false)
    .option('--minutes <n>', 'simulated minutes (--simulate)', positiveNumber('minutes'), 240)
    .option('--rate <flows/s>', 'simulated peak flows per second (--simulate)', positiveNumber('rate'), 20)
    .option('--seed <n>', 'simulator seed (--simulate)', (v) => Number.parseInt(v, 10), 1)
    .option('--json', 'print the figures as JSON', false)
    .action(async (files: string[], opts: EvaluateOptions, cmd: Command) => {
      const ctx = commandContext(cmd, {
        store: { kind: 'pglite' },
        features: {
          ...(opts.internal ? { internalCidrs: opts.internal.split(',').map((s) => s.trim()) } : {}),
          ...(opts.lateness === undefined ? {} : { allowedLatenessSeconds: opts.lateness }),
        },
        ...(opts.anonymize ? {} : { anonymization: { enabled: false } }),
      });
      const common = {
        config: ctx.config,
        logger: ctx.logger,
        registry: ctx.registry,
        alertThreshold: opts.alert,
        blockThreshold: opts.block,
      };
      if (opts.simulate) {
        const result = await evaluateSimulation({
          ...common,
          minutes: opts.minutes,
          rate: opts.rate,
          seed: opts.seed,
          anonymizer: opts.anonymize ? anonymizerFrom(ctx) : noAnonymization,
        });
        console.log(opts.json ? JSON.stringify(result.attacks, null, 2) : formatSimulationReport(result));
        return;
      }
      if (files.length === 0) throw new Error('a flow file is required unless --simulate is given');
      if (files.length > 1 && opts.history) throw new Error('--history applies to one file at a time');
      if (opts.rulesOnly && (opts.history || opts.reviewTrainingSpan || opts.trainUntil))
        throw new Error(
          '--rules-only trains nothing: --history, --review-training-span and --train-until do not apply',
        );
      const trainUntil = opts.trainUntil === undefined ? undefined : Date.parse(opts.trainUntil);
      if (trainUntil !== undefined && Number.isNaN(trainUntil)) {
        throw new Error(`--train-until: expected an ISO time, got "${opts.trainUntil}"`);
      }
      const results: EvaluationResult[] = [];
      for (const file of files) {
        const result = await evaluateFile({
          ...common,
          file,
          ...(opts.format ? { format: opts.format } : {}),
          ...(trainUntil === undefined ? {} : { trainUntil }),
          trainShare: opts.trainShare,
          reviewTrainingSpan: opts.reviewTrainingSpan,
          rulesOnly: opts.rulesOnly,
          ...(opts.history ? { historyFiles: opts.history.split(',').map((f) => f.trim()) } : {}),
          enricher: enricherFrom(ctx.config),
          anonymizer: opts.anonymize ? anonymizerFrom(ctx) : noAnonymization,
        });
        results.push(result);
        if (!opts.json) console.log(formatReport(result) + '\n');
      }
      // The same address in two captures is two samples: sources are keyed by capture.
      const pooled = results.flatMap((r) => r.sources.map((s) => ({ ...s, group: basename(r.file) })));
      if (opts.json) {
        const figures = results.map(({ windows: _w, entities: _e, truth: _t, sources: _s, ...f }) => f);
        const pool =
          results.length > 1
            ? {
                sourceRanking: sourceRanking(pooled),
                bootstrap: {
                  threat: bootstrapAuc(pooled, 'threat'),
                  anomaly: bootstrapAuc(pooled, 'anomaly'),
                  scan: bootstrapAuc(pooled, 'scan'),
                },
              }
            : undefined;
        console.log(
          JSON.stringify(results.length > 1 ? { captures: figures, pooled: pool } : figures[0], null, 2),
        );
      } else if (results.length > 1) console.log(formatPooledSources(pooled, results.length));
    });
}
