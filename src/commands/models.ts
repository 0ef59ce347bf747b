/**
 * `foresight models list|promote|rollback|reject`: the model registry by hand. A detector picks
 * up a promotion or rollback at its next registry poll (scoring.modelPollSeconds) and swaps
 * between batches.
 */
import { Command } from 'commander';
import { ModelRegistry, type ModelVersionInfo } from '../detector/store/model-registry.js';
import { commandContext } from './context.js';
import { openFeatureStore } from './runtime.js';

const day = (t: number | undefined) =>
  t === undefined ? '–' : new Date(t).toISOString().replace('.000Z', 'Z');

export function formatModelList(models: readonly ModelVersionInfo[]): string {
  if (models.length === 0) return 'no models in the registry (run `foresight train`)';
  const lines = [
    'name                            ver  status     quality  rows     trained to            promoted              note',
  ];
  for (const m of models) {
    const q = typeof m.metrics.quality === 'number' ? m.metrics.quality.toFixed(3) : '  –  ';
    lines.push(
      `${m.name.padEnd(31)} ${String(m.version).padStart(4)}  ${(m.status + (m.rolledBackAt ? '*' : '')).padEnd(9)}  ${q.padStart(7)}  ` +
        `${String(m.trainingRows).padEnd(7)}  ${day(m.trainedTo).padEnd(20)}  ${day(m.promotedAt).padEnd(20)}  ${m.note ?? ''}`,
    );
  }
  if (models.some((m) => m.rolledBackAt)) lines.push('* rolled back');
  return lines.join('\n');
}

function version(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a version number, got "${text}"`);
  return n;
}

async function withRegistry(cmd: Command, fn: (r: ModelRegistry) => Promise<void>): Promise<void> {
  const ctx = commandContext(cmd);
  const store = await openFeatureStore(ctx);
  try {
    await fn(new ModelRegistry(store.db));
  } finally {
    await store.close();
  }
}

export function modelsCommand(): Command {
  const models = new Command('models')
    .summary('List, promote and roll back model versions in the registry')
    .description('The model registry: versions with their status, validation quality and training span.');
  models
    .command('list')
    .description('every version, newest first per model')
    .argument('[name]', 'one model, e.g. source/isolation-forest')
    .action(async (name: string | undefined, _opts: unknown, cmd: Command) => {
      await withRegistry(cmd, async (r) => console.log(formatModelList(await r.list(name))));
    });
  models
    .command('promote')
    .description('make a version the active one (the current active version is retired)')
    .argument('<name>')
    .argument('<version>', 'version number', version)
    .option('--note <text>', 'why')
    .action(async (name: string, v: number, opts: { note?: string }, cmd: Command) => {
      await withRegistry(cmd, async (r) => {
        await r.promote(name, v, opts.note ?? 'promoted by hand');
        console.log(`${name} v${v} is active`);
      });
    });
  models
    .command('rollback')
    .description('retire the active version and reactivate the one promoted before it')
    .argument('<name>')
    .option('--note <text>', 'why')
    .action(async (name: string, opts: { note?: string }, cmd: Command) => {
      await withRegistry(cmd, async (r) => {
        const { from, to } = await r.rollback(name, opts.note);
        console.log(`${name}: rolled back from v${from} to v${to}`);
      });
    });
  models
    .command('reject')
    .description('mark a candidate or retired version as never to be used')
    .argument('<name>')
    .argument('<version>', 'version number', version)
    .option('--note <text>', 'why', 'rejected by hand')
    .action(async (name: string, v: number, opts: { note: string }, cmd: Command) => {
      await withRegistry(cmd, async (r) => {
        await r.reject(name, v, opts.note);
        console.log(`${name} v${v} rejected`);
      });
    });
  return models;
}
