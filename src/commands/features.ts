/** `foresight features FILE`: the detector's pipeline offline (no NATS) into a store, with a summary. */
import { stat } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { extractFeatures } from '../detector/ingest/offline.js';
import { MemoryDeadLetterSink } from '../flows/dead-letter.js';
import { formatNames } from '../flows/formats/index.js';
import { countLines, createProgress } from '../observability/progress.js';
import { commandContext } from './context.js';
import { anonymizerFrom, enricherFrom, openFeatureStore } from './runtime.js';

interface FeaturesOptions {
  format?: string;
  store?: 'pglite' | 'postgres';
  pglitePath?: string;
  anonymize: boolean;
}

export function featuresCommand(): Command {
  return new Command('features')
    .summary('Run a flow file through the detector pipeline offline, into a store')
    .description(
      'Run a flow file through the detector pipeline offline — parse, enrich, anonymize, window features — ' +
        'into the store (PGlite in memory by default), and print a summary. No NATS needed.',
    )
    .argument('<file>', 'flow log file (plain or .gz); the format is sniffed unless --format is given')
    .addOption(new Option('-f, --format <format>', 'input format').choices(formatNames()))
    .addOption(
      new Option('--store <kind>', 'where features go').choices(['pglite', 'postgres']).default('pglite'),
    )
    .option('--pglite-path <dir>', 'keep the PGlite database in this folder (default: in memory)')
    .option('--no-anonymize', 'keep raw addresses (the store will contain them)')
    .action(async (file: string, opts: FeaturesOptions, cmd: Command) => {
      const ctx = commandContext(cmd, {
        store: { kind: opts.store, ...(opts.pglitePath ? { pglitePath: opts.pglitePath } : {}) },
        ...(opts.anonymize ? {} : { anonymization: { enabled: false } }),
      });
      const store = await openFeatureStore(ctx);
      const letters = new MemoryDeadLetterSink();
      const gz = file.endsWith('.gz');
      const progress = createProgress('features', gz ? 0 : await countLines(file), { unit: 'lines' });
      const started = performance.now();
      try {
        const summary = await extractFeatures(file, {
          config: ctx.config,
          store,
          deadLetters: letters,
          enricher: enricherFrom(ctx.config),
          anonymizer: anonymizerFrom(ctx),
          registry: ctx.registry,
          ...(opts.format ? { format: opts.format } : {}),
          onProgress: (n) => progress.update(n),
        });
        progress.stop();
        const seconds = (performance.now() - started) / 1000;
        const span =
          summary.firstEvent !== undefined && summary.lastEvent !== undefined
            ? `${new Date(summary.firstEvent).toISOString()} → ${new Date(summary.lastEvent).toISOString()}`
            : '(no flows)';
        const lines = [
          `file         ${file} (${((await stat(file)).size / 1e6).toFixed(1)} MB)`,
          `format       ${summary.format}`,
          `lines        ${summary.lines}`,
          `flows        ${summary.flows} (${Math.round(summary.flows / seconds)} flows/s)`,
          `event span   ${span}`,
          `dead letters ${formatCounts(summary.deadLetters)}`,
          `skipped      ${formatCounts(summary.skipped)}`,
          `windows      ${summary.windows} feature rows for ${summary.entities} entities`,
          `store        ${ctx.config.store.kind}${ctx.config.store.kind === 'pglite' && !opts.pglitePath ? ' (in memory)' : ''}`,
        ];
        console.log(lines.join('\n'));
        const firstLetter = letters.letters[0];
        if (firstLetter) console.log(`first dead letter: ${firstLetter.reason}: ${firstLetter.detail}`);
      } finally {
        progress.stop();
        await store.close();
      }
    });
}

function formatCounts(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  if (entries.length === 0) return 'none';
  return entries.map(([k, n]) => `${k} ${n}`).join(', ');
}
