/** `foresight replay FILE`: publish a flow file into NATS JetStream like a collector would. */
import { Command, Option } from 'commander';
import { ensureStream } from '../detector/ingest/jetstream.js';
import { replayFile } from '../detector/ingest/replay.js';
import { formatNames } from '../flows/formats/index.js';
import { countLines, createProgress } from '../observability/progress.js';
import { connectNats } from '../util/nats.js';
import { commandContext } from './context.js';

interface ReplayCliOptions {
  format?: string;
  speed: string;
  nats?: string;
  source?: string;
  partitions?: string;
  batch: string;
  eos: boolean;
}

export function parseSpeed(value: string): number | 'max' {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0)
    throw new Error(`--speed must be a positive number or "max", got "${value}"`);
  return n;
}

export function replayCommand(): Command {
  return new Command('replay')
    .summary('Publish a flow file into NATS JetStream as a collector would')
    .description(
      'Publish a flow file into NATS JetStream as a collector would: original lines, many per message, on ' +
        'flows.<source>.<partition> (partition by source address), keeping the recorded timing scaled by ' +
        '--speed, then an end-of-stream marker so detectors close their last windows.',
    )
    .argument('<file>', 'flow log file (plain or .gz); the format is sniffed unless --format is given')
    .addOption(new Option('-f, --format <format>', 'input format').choices(formatNames()))
    .option('--speed <n|max>', 'event-time seconds per wall second, or "max" for as fast as acked', '1')
    .option('--nats <url>', 'NATS server URL (overrides nats.url)')
    .option('--source <name>', 'subject token naming the collector (default: the format name)')
    .option('--partitions <n>', 'number of source partitions (overrides nats.partitions)')
    .option('--batch <lines>', 'lines per NATS message', '100')
    .option('--no-eos', 'do not send the end-of-stream marker')
    .action(async (file: string, opts: ReplayCliOptions, cmd: Command) => {
      const ctx = commandContext(cmd, {
        ...(opts.nats ? { nats: { url: opts.nats } } : {}),
        ...(opts.partitions ? { nats: { url: opts.nats, partitions: Number(opts.partitions) } } : {}),
      });
      const { config, logger } = ctx;
      const speed = parseSpeed(opts.speed);
      const nc = await connectNats(config.nats, { name: 'foresight-replay', logger, wait: false });
      try {
        await ensureStream(await nc.jetstreamManager(), config.nats, logger);
        const progress = createProgress('replay', file.endsWith('.gz') ? 0 : await countLines(file), {
          unit: 'lines',
        });
        const summary = await replayFile(file, {
          js: nc.jetstream(),
          subjectPrefix: config.nats.subjectPrefix,
          speed,
          partitions: config.nats.partitions,
          linesPerMessage: Math.max(1, Number(opts.batch)),
          endOfStream: opts.eos,
          onProgress: (n) => progress.update(n),
          ...(opts.format ? { format: opts.format } : {}),
          ...(opts.source ? { source: opts.source } : {}),
        });
        progress.stop();
        console.log(
          [
            `format    ${summary.format}`,
            `lines     ${summary.lines} (${summary.unparsable} unparsable, published for the detector to dead-letter)`,
            `flows     ${summary.flows}`,
            `messages  ${summary.messages} on ${config.nats.subjectPrefix}.${opts.source ?? summary.format}.{0..${config.nats.partitions - 1}}`,
            `time      ${summary.seconds.toFixed(1)} s (${Math.round(summary.flows / Math.max(summary.seconds, 0.001))} flows/s)`,
          ].join('\n'),
        );
      } finally {
        await nc.drain();
      }
    });
}
