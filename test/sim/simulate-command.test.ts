import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import {
  parseAttackList,
  parseDuration,
  simulateCommand,
  type SimulateDeps,
} from '../../src/commands/simulate.js';
import type { FlowRecord } from '../../src/flows/flow-record.js';
import { getFormat } from '../../src/flows/formats/index.js';
import { HOUR, MINUTE, MONDAY } from './support.js';

const dir = mkdtempSync(join(tmpdir(), 'foresight-sim-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function sink(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function run(args: string[], deps: SimulateDeps = {}): Promise<string> {
  const stderr = sink();
  await simulateCommand({ stderr: stderr.stream, ...deps })
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined })
    .parseAsync(args, { from: 'user' });
  return stderr.text();
}

function parseFile(path: string, format: string): FlowRecord[] {
  const parser = getFormat(format).createParser();
  const flows: FlowRecord[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line === '') continue;
    const outcome = parser.parse(line);
    if (outcome.kind === 'error') assert.fail(`${format}: ${outcome.detail} in ${line}`);
    if (outcome.kind === 'flows') flows.push(...outcome.flows);
  }
  return flows;
}

const START = new Date(MONDAY + 14 * HOUR).toISOString();

describe('foresight simulate', () => {
  it('writes foresight-ndjson flows and a labels file whose counts match the flows', async () => {
    const out = join(dir, 'flows.ndjson');
    const labelsFile = join(dir, 'labels.jsonl');
    const summary = await run([
      '--seed',
      '3',
      '--start',
      START,
      '--duration',
      '1h',
      '--rate',
      '20',
      '--out',
      out,
      '--labels',
      labelsFile,
    ]);
    const flows = parseFile(out, 'foresight-ndjson');
    assert.ok(flows.length > 20_000);
    const labels = readFileSync(labelsFile, 'utf8')
      .trim()
      .split('\n')
      .map(
        (l) =>
          JSON.parse(l) as {
            type: string;
            label: string;
            flows: number;
            startMs: number;
            endMs: number;
            start: string;
          },
      );
    assert.equal(labels.length, 8);
    for (const l of labels) {
      const mine = flows.filter((f) => f.label === l.label);
      assert.equal(mine.length, l.flows, `${l.type}: labels file count`);
      assert.ok(mine.every((f) => f.ts >= l.startMs && f.ts < l.endMs));
      assert.equal(new Date(l.start).getTime(), l.startMs);
    }
    assert.ok(flows.every((f) => f.ts >= MONDAY + 14 * HOUR && f.ts < MONDAY + 15 * HOUR));
    assert.match(summary, /simulated [\d,]+ flows, [\d,]+ of them attacks/);
    assert.match(summary, /ddos-8 .* 250 sources → platform\/ingress-nginx/);
  });

  it('is byte-identical for the same seed and differs for another', async () => {
    const file = (name: string) => join(dir, name);
    const args = ['--start', START, '--duration', '10m', '--rate', '30', '--attacks', 'portscan,beacon'];
    await run([...args, '--seed', '5', '--out', file('a')]);
    await run([...args, '--seed', '5', '--out', file('b')]);
    await run([...args, '--seed', '6', '--out', file('c')]);
    assert.equal(readFileSync(file('a'), 'utf8'), readFileSync(file('b'), 'utf8'));
    assert.notEqual(readFileSync(file('a'), 'utf8'), readFileSync(file('c'), 'utf8'));
  });

  it('writes header formats with one header even across batches', async () => {
    const out = join(dir, 'conn.log');
    await run([
      '--start',
      START,
      '--duration',
      '5m',
      '--rate',
      '50',
      '--attacks',
      'none',
      '--format',
      'zeek-tsv',
      '--out',
      out,
    ]);
    const text = readFileSync(out, 'utf8');
    assert.equal(text.split('\n').filter((l) => l.startsWith('#fields')).length, 1);
    const flows = parseFile(out, 'zeek-tsv');
    assert.ok(flows.length > 5000, `${flows.length} flows (more than one batch)`);
    assert.ok(flows.every((f) => f.label === 'normal'));
  });

  it('writes to stdout by default, starting at the current UTC hour', async () => {
    const stdout = sink();
    const now = MONDAY + 9 * HOUR + 17 * MINUTE;
    await run(['--duration', '2m', '--rate', '10', '--attacks', 'none', '--no-k8s'], {
      stdout: stdout.stream,
      now: () => now,
    });
    const lines = stdout.text().trim().split('\n');
    assert.ok(lines.length > 100);
    const first = JSON.parse(lines[0] as string) as { timestamp: number; src_k8s?: unknown };
    assert.ok(first.timestamp >= MONDAY + 9 * HOUR && first.timestamp < MONDAY + 9 * HOUR + 2 * MINUTE);
    assert.ok(lines.every((l) => !l.includes('"src_k8s"') && !l.includes('"dst_k8s"')));
  });

  const badArgs = [
    { name: 'unknown attack type', args: ['--attacks', 'portscan,nope'] },
    { name: 'bad duration', args: ['--duration', '2 weeks'] },
    { name: 'bad start', args: ['--start', 'yesterday-ish'] },
    { name: 'zero rate', args: ['--rate', '0'] },
  ];
  for (const c of badArgs) {
    it(`rejects ${c.name}`, async () => {
      await assert.rejects(run([...c.args, '--out', join(dir, 'never')]), {
        code: 'commander.invalidArgument',
      });
    });
  }

  it('rejects an unknown format before writing anything', async () => {
    await assert.rejects(run(['--format', 'pcap', '--out', join(dir, 'never')]), { code: 'unknown-format' });
  });

  const durations: [string, number][] = [
    ['90s', 90_000],
    ['15m', 15 * MINUTE],
    ['2h', 2 * HOUR],
    ['1d', 24 * HOUR],
    ['500ms', 500],
    ['30', 30_000],
    ['1.5h', 1.5 * HOUR],
  ];
  for (const [text, ms] of durations) {
    it(`parses duration ${text}`, () => assert.equal(parseDuration(text), ms));
  }

  it('parses attack lists', () => {
    assert.equal(parseAttackList('all').length, 8);
    assert.deepEqual(parseAttackList('none'), []);
    assert.deepEqual(parseAttackList('ddos, beacon'), ['ddos', 'beacon']);
  });
});
