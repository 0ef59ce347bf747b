/**
 * `foresight demo`: everything on embedded defaults, in one process — the simulator with every
 * attack type at accelerated time (or a flow file) as the source, PGlite in memory as the store,
 * models trained on the first simulated span, detection, the Monitor engine with the actions
 * Enforce would take, and the dashboard on http://localhost:8080 (printed with its token).
 */
import { Command, Option } from 'commander';
import { formatNames } from '../flows/formats/index.js';
import { startDemo } from '../dashboard/demo/start-demo.js';
import { errorMessage } from '../errors.js';
import { commandContext, positiveNumber } from './context.js';
import { shutdownSignal } from './runtime.js';

interface DemoFlags {
  file?: string;
  format?: string;
  speed: string;
  port: number;
  host: string;
  hours: number;
  rate: number;
  seed: number;
  trainMinutes: number;
}

function speedOf(text: string): number {
  if (text === 'max') return Infinity;
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n))
    throw new Error(`--speed must be a positive number or "max", got "${text}"`);
  return n;
}

export function demoCommand(): Command {
  return new Command('demo')
    .summary('Run all of Foresight on embedded defaults, with the dashboard on http://localhost:8080')
    .description(
      'Run Foresight end to end in one process, with no cluster and no servers: a simulated cluster with every ' +
        'attack type at accelerated time (or a flow file), PGlite in memory as the store, models trained on the ' +
        'first simulated span, detection, Monitor-mode incidents and actions (with the NetworkPolicies Enforce ' +
        'would apply), and the dashboard. Open the printed URL (it carries the access token).',
    )
    .option('--file <path>', 'a flow file (any supported format) instead of the simulator')
    .addOption(
      new Option('-f, --format <format>', 'format of --file (sniffed when absent)').choices(formatNames()),
    )
    .option('--speed <n|max>', 'simulated seconds per real second ("max": as fast as possible)', '20')
    .option('--port <port>', 'dashboard port', (v) => Number.parseInt(v, 10), 8080)
    .option('--host <host>', 'dashboard address to listen on', '127.0.0.1')
    .option(
      '--hours <n>',
      'simulated hours of detection after training (every attack type repeats every two hours)',
      positiveNumber('hours'),
      8,
    )
    .option('--rate <flows/s>', 'peak flows per second of the simulated cluster', positiveNumber('rate'), 30)
    .option('--seed <n>', 'simulator seed', (v) => Number.parseInt(v, 10), 1)
    .option(
      '--train-minutes <n>',
      'attack-free simulated minutes ingested at full speed and trained on before detection starts',
      positiveNumber('train-minutes'),
      240,
    )
    .action(async (flags: DemoFlags, cmd: Command) => {
      const speed = speedOf(flags.speed);
      const ctx = commandContext(cmd, {
        store: { kind: 'pglite' },
        scoring: { modelPollSeconds: 5 },
        training: { forecast: { lstm: { maxTargets: 0 } } },
      });
      const signal = shutdownSignal(ctx);
      const demo = await startDemo({
        config: ctx.config,
        logger: ctx.logger,
        metrics: ctx.registry,
        host: flags.host,
        port: flags.port,
        speed,
        hours: flags.hours,
        rate: flags.rate,
        seed: flags.seed,
        trainMinutes: flags.trainMinutes,
        ...(flags.file ? { file: flags.file } : {}),
        ...(flags.format ? { format: flags.format } : {}),
      });
      console.log(`\n  Foresight dashboard: ${demo.url}\n`);
      const stopped = new Promise<void>((resolve) =>
        signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      try {
        await Promise.race([
          demo.ready.then(() =>
            ctx.logger.info(`detecting live at ${Number.isFinite(speed) ? `${speed}×` : 'full'} speed`),
          ),
          stopped,
        ]);
        await stopped;
      } catch (err) {
        ctx.logger.error(`demo failed: ${errorMessage(err)}`);
        process.exitCode = 1;
      } finally {
        await demo.close();
      }
    });
}
