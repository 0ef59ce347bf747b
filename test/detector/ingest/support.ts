/**
 * Shared set-up for ingest tests: a simulated capture with attacks written as NDJSON with a few
 * malformed lines mixed in, its enrichment map, a fixed anonymization key, and a config that
 * points everything at one test's own stream, subjects and schema.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { getFormat } from '../../../src/flows/formats/index.js';
import { createSimulator, defaultAttackPlan } from '../../../src/sim/index.js';
import type { TestStreamNames } from '../../support/nats.js';

export const KEY_HEX = '00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210';
export const MALFORMED = [
  '{"timestamp": "not a time", "src_ip": "10.0.0.1"}',
  'garbage line',
  '{"src_ip": 1',
];

export interface Capture {
  dir: string;
  file: string;
  enrichmentFile: string;
  keyFile: string;
  flows: number;
  rawAddresses: string[];
}

/** `minutes` of simulated cluster traffic at `rate` flows/s with every attack type scheduled. */
export function writeCapture(minutes: number, rate: number): Capture {
  const dir = mkdtempSync(join(tmpdir(), 'foresight-ingest-'));
  const start = Date.UTC(2026, 10, 2, 14, 0, 0);
  const span = minutes * 60_000;
  const sim = createSimulator({ seed: 7, start, rate, attacks: defaultAttackPlan(start, span) });
  const flows = [...sim.flows(start + span)];
  const lines = getFormat('foresight-ndjson').write(flows);
  // Malformed lines spread through the file: they must be dead-lettered, never stop the stream.
  for (let i = 0; i < MALFORMED.length; i++)
    lines.splice(Math.floor(((i + 1) * lines.length) / 4), 0, MALFORMED[i]!);
  const file = join(dir, 'capture.ndjson');
  writeFileSync(file, lines.join('\n') + '\n');
  const enrichmentFile = join(dir, 'enrichment.json');
  writeFileSync(enrichmentFile, JSON.stringify(Object.fromEntries(sim.identities())));
  const keyFile = join(dir, 'key');
  writeFileSync(keyFile, KEY_HEX);
  const rawAddresses = [...new Set(flows.flatMap((f) => [f.src, f.dst]))];
  return { dir, file, enrichmentFile, keyFile, flows: flows.length, rawAddresses };
}

export function ingestConfig(
  capture: Capture,
  names: TestStreamNames,
  schema: string,
  extra: object = {},
): Config {
  return parseConfig(
    merge(
      {
        nats: {
          url: 'nats://127.0.0.1:4222',
          subjectPrefix: names.subjectPrefix,
          stream: { name: names.stream },
          consumer: { durable: names.durable, fetchBatch: 16, fetchExpiresMs: 1000, ackWaitSeconds: 60 },
        },
        store: { kind: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test', schema },
        anonymization: { keyFile: capture.keyFile },
        enrichment: { staticMapFile: capture.enrichmentFile },
        features: { idleFlushSeconds: 2 },
        http: { port: 0 },
        log: { level: 'warn', format: 'json' },
      },
      extra,
    ),
  );
}

function merge(a: Record<string, unknown>, b: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const cur = out[k];
    out[k] =
      typeof v === 'object' && v !== null && !Array.isArray(v) && typeof cur === 'object' && cur !== null
        ? merge(cur as Record<string, unknown>, v as object)
        : v;
  }
  return out;
}
