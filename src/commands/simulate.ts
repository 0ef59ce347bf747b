/**
 * `foresight simulate`: writes the simulated cluster's flows in any supported format, plus the
 * attacks' ground truth as JSON lines, and a short summary on stderr. Output is streamed in
 * batches, so hours of traffic never sit in memory.
 */
import { once } from 'node:events';
import { createWriteStream, writeFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { Command, InvalidArgumentError, Option } from 'commander';
import { ForesightError, errorMessage } from '../errors.js';
import type { FlowRecord } from '../flows/flow-record.js';
import { formatNames, getFormat } from '../flows/formats/index.js';
import type { FlowFormat } from '../flows/formats/types.js';
import {
  ATTACK_TYPES,
  createSimulator,
  defaultAttackPlan,
  isAttackType,
  type AttackLabel,
  type AttackType,
} from '../sim/index.js';

const BATCH = 2000;
const HOUR_MS = 3_600_000;

export interface SimulateDeps {
  /** Clock for the default start (the current UTC hour). */
  now?: () => number;
  stdout?: Writable;
  /** Where the summary goes. */
  stderr?: Writable;
  formats?: (name: string) => FlowFormat;
}

interface SimulateOptions {
  seed: number;
  start?: number;
  duration: number;
  rate: number;
  attacks: AttackType[];
  intensity: number;
  format: string;
  out: string;
  labels?: string;
  k8s: boolean;
}

/** `90s`, `15m`, `2h`, `1d`, `500ms` (a bare number is seconds). */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: HOUR_MS, d: 24 * HOUR_MS } as const;
  const ms = m ? Number(m[1]) * unit[(m[2] ?? 's') as keyof typeof unit] : NaN;
  if (!(ms > 0)) throw new InvalidArgumentError(`expected a duration like 90s, 15m, 2h or 1d, got "${text}"`);
  return ms;
}

/** `all`, `none`, or a comma-separated list of attack types. */
export function parseAttackList(text: string): AttackType[] {
  const value = text.trim();
  if (value === 'all') return [...ATTACK_TYPES];
  if (value === 'none' || value === '') return [];
  const types = value.split(',').map((s) => s.trim());
  const unknown = types.filter((t) => !isAttackType(t));
  if (unknown.length > 0) {
    throw new InvalidArgumentError(
      `unknown attack type ${unknown.join(', ')} (known: all, none, ${ATTACK_TYPES.join(', ')})`,
    );
  }
  return types as AttackType[];
}

function parseStart(text: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`expected an ISO 8601 time, got "${text}"`);
  return ms;
}

function parseInteger(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${text}"`);
  return n;
}

function parsePositive(text: string): number {
  const n = Number(text);
  if (!(n > 0) || !Number.isFinite(n))
    throw new InvalidArgumentError(`expected a positive number, got "${text}"`);
  return n;
}

export function simulateCommand(deps: SimulateDeps = {}): Command {
  return new Command('simulate')
    .description(
      'Generate flows of a simulated Kubernetes cluster (daily/weekly load cycle) with labelled attacks, ' +
        'deterministically from a seed. Writes flows in any supported format and the attacks as JSON lines.',
    )
    .option(
      '--seed <n>',
      'random seed: the same seed and options give byte-identical output',
      parseInteger,
      1,
    )
    .option('--start <iso>', 'simulated start time (default: the start of the current UTC hour)', parseStart)
    .addOption(
      new Option('--duration <d>', 'how much time to simulate: 90s, 15m, 2h, 1d')
        .argParser(parseDuration)
        .default(HOUR_MS, '1h'),
    )
    .option('--rate <flows/s>', 'normal flows per second at the weekday afternoon peak', parsePositive, 200)
    .addOption(
      new Option('--attacks <list>', `all | none | comma list of ${ATTACK_TYPES.join(', ')}`)
        .argParser(parseAttackList)
        .default([...ATTACK_TYPES], 'all'),
    )
    .option('--intensity <x>', 'scale every attack (rate, bytes or bots)', parsePositive, 1)
    .option('--format <name>', `output flow format: ${formatNames().join(', ')}`, 'foresight-ndjson')
    .option('-o, --out <file>', 'flow output file, - for stdout', '-')
    .option('--labels <file>', 'write the attacks (ground truth) as JSON lines to this file')
    .addOption(
      new Option('--no-k8s', 'omit src/dst Kubernetes identities (a collector that sees addresses only)'),
    )
    .action(async (opts: SimulateOptions) => {
      await runSimulate(opts, deps);
    });
}

async function runSimulate(opts: SimulateOptions, deps: SimulateDeps): Promise<void> {
  const stderr = deps.stderr ?? process.stderr;
  const format = (deps.formats ?? getFormat)(opts.format);
  const start = opts.start ?? Math.floor((deps.now ?? Date.now)() / HOUR_MS) * HOUR_MS;
  const until = start + opts.duration;
  const attacks = defaultAttackPlan(start, opts.duration, { types: opts.attacks }).map((a) => ({
    ...a,
    intensity: opts.intensity,
  }));
  const sim = createSimulator({ seed: opts.seed, start, rate: opts.rate, attacks, emitK8s: opts.k8s });

  const out = opts.out === '-' ? (deps.stdout ?? process.stdout) : await openFile(opts.out);
  const began = performance.now();
  const { flows, attackFlows, closed } = await writeFlows(sim.flows(until), format, out);
  if (opts.out !== '-') {
    out.end();
    await once(out, 'finish');
  }
  const seconds = (performance.now() - began) / 1000;

  const labels = sim.labels(until);
  if (opts.labels) {
    try {
      writeFileSync(opts.labels, labels.map((l) => JSON.stringify(labelLine(l)) + '\n').join(''));
    } catch (err) {
      throw new ForesightError('sim-output', `cannot write labels to ${opts.labels}: ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }
  stderr.write(summary({ flows, attackFlows, closed, seconds, start, until, opts, labels }));
}

async function openFile(path: string): Promise<Writable> {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'ready');
  } catch (err) {
    throw new ForesightError('sim-output', `cannot open ${path}: ${errorMessage(err)}`, { cause: err });
  }
  return stream;
}

/**
 * Streams flows in batches through the format's writer. Header lines (what the format writes for
 * no flows) are kept once, at the top. A reader that goes away (EPIPE, `| head`) ends the run quietly.
 */
async function writeFlows(
  source: Iterable<FlowRecord>,
  format: FlowFormat,
  out: Writable,
): Promise<{ flows: number; attackFlows: number; closed: boolean }> {
  let failure: Error | undefined;
  const onError = (err: Error): void => {
    failure = err;
  };
  out.on('error', onError);
  const header = format.write([]);
  let first = true;
  let flows = 0;
  let attackFlows = 0;
  let batch: FlowRecord[] = [];
  const flush = async (): Promise<void> => {
    let lines = format.write(batch);
    if (!first && header.length > 0 && header.every((h, i) => lines[i] === h)) {
      lines = lines.slice(header.length);
    }
    first = false;
    batch = [];
    if (lines.length === 0) return;
    if (!out.write(lines.join('\n') + '\n')) await once(out, 'drain');
  };
  try {
    for (const f of source) {
      if (failure) break;
      flows++;
      if (f.label !== 'normal') attackFlows++;
      batch.push(f);
      if (batch.length >= BATCH) await flush();
    }
    if (!failure && (batch.length > 0 || first)) await flush();
  } catch (err) {
    failure ??= err instanceof Error ? err : new Error(String(err));
  }
  // The listener stays: a reader that leaves later (EPIPE after our last write) must not crash us.
  if (!failure) return { flows, attackFlows, closed: false };
  if ((failure as NodeJS.ErrnoException).code === 'EPIPE') return { flows, attackFlows, closed: true };
  throw new ForesightError('sim-output', `cannot write flows: ${failure.message}`, { cause: failure });
}

function labelLine(l: AttackLabel): Record<string, unknown> {
  return {
    id: l.id,
    type: l.type,
    label: l.label,
    attacker: l.attacker,
    ...(l.attackerK8s ? { attackerK8s: l.attackerK8s } : {}),
    attackers: l.attackers,
    target: l.target,
    targets: l.targets,
    start: new Date(l.start).toISOString(),
    end: new Date(l.end).toISOString(),
    startMs: l.start,
    endMs: l.end,
    intensity: l.intensity,
    flows: l.flows,
  };
}

function summary(s: {
  flows: number;
  attackFlows: number;
  closed: boolean;
  seconds: number;
  start: number;
  until: number;
  opts: SimulateOptions;
  labels: AttackLabel[];
}): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const time = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
  const speed = s.seconds > 0 ? ` (${n(Math.round(s.flows / s.seconds))} flows/s)` : '';
  const lines = [
    `simulated ${n(s.flows)} flows, ${n(s.attackFlows)} of them attacks, ${time(s.start)} → ${time(s.until)}, ` +
      `seed ${s.opts.seed}, rate ${s.opts.rate}/s, ${s.opts.format} in ${s.seconds.toFixed(1)} s${speed}` +
      (s.closed ? ' (output closed early)' : ''),
  ];
  for (const l of s.labels) {
    const who = l.attackers.length > 1 ? `${n(l.attackers.length)} sources` : l.attacker;
    lines.push(
      `  ${l.id.padEnd(14)} ${who} → ${l.target}  ${time(l.start)} → ${time(l.end)}  ${n(l.flows)} flows`,
    );
  }
  return lines.join('\n') + '\n';
}
