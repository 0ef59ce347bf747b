/**
 * write → parse for every adapter: the flows that come back equal the originals reduced to what
 * the format can hold (the `keep` function per format states exactly that, and so documents
 * what each format loses).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRecord, K8sIdentity } from '../../../src/flows/flow-record.js';
import { FORMATS } from '../../../src/flows/formats/index.js';
import type { FormatName } from '../../../src/flows/formats/types.js';
import { flowsOf, parseAll } from './fixtures.js';

const FLOWS: FlowRecord[] = [
  {
    ts: 1714564800123.456,
    durationMs: 1500.25,
    src: '10.1.0.5',
    dst: '10.2.0.9',
    srcPort: 41000,
    dstPort: 8080,
    proto: 6,
    action: 'allow',
    bytes: 5120,
    packets: 12,
    outcome: 'established',
    direction: 'egress',
    srcK8s: {
      namespace: 'shop',
      pod: 'web-7d9f-abcde',
      workload: 'web',
      labels: { app: 'web', tier: 'front' },
    },
    dstK8s: { namespace: 'shop', pod: 'api-0', workload: 'api' },
    label: 'attack:Exploits',
  },
  {
    ts: 1714564801000,
    src: '203.0.113.7',
    dst: '10.2.0.9',
    srcPort: 50000,
    dstPort: 22,
    proto: 6,
    action: 'deny',
    packets: 1,
    bytes: 60,
    outcome: 'attempt',
    direction: 'ingress',
    label: 'normal',
  },
  {
    ts: 1714564802500,
    durationMs: 20,
    src: '10.1.0.5',
    dst: '10.96.0.10',
    srcPort: 5353,
    dstPort: 53,
    proto: 17,
    action: 'allow',
    bytes: 180,
    packets: 2,
    outcome: 'established',
    srcK8s: { namespace: 'default' },
  },
  {
    ts: 1714564803000,
    src: '2001:db8::1',
    dst: '2001:db8::2',
    srcPort: 45000,
    dstPort: 443,
    proto: 6,
    action: 'allow',
    outcome: 'rejected',
    direction: 'egress',
  },
  { ts: 1714564804000, src: '10.1.0.5', dst: '10.1.0.6', srcPort: 8, dstPort: 0, proto: 1, action: 'allow' },
];

type Keep = (f: FlowRecord) => FlowRecord;

function pick(f: FlowRecord, keys: (keyof FlowRecord)[]): FlowRecord {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (f[k] !== undefined) out[k] = f[k];
  return out as unknown as FlowRecord;
}

const floorS = (ts: number): number => Math.floor(ts / 1000) * 1000;
const micro = (ms: number): number => Math.round(ms * 1000) / 1000;
const BASIC: (keyof FlowRecord)[] = [
  'ts',
  'src',
  'dst',
  'srcPort',
  'dstPort',
  'proto',
  'action',
  'bytes',
  'packets',
];
/** Formats whose outcome comes from TCP flags cannot say anything about other protocols. */
const tcpOutcomeOnly = (f: FlowRecord, g: FlowRecord): FlowRecord => {
  if (f.proto !== 6) delete g.outcome;
  return g;
};
const noLabels = (id: K8sIdentity | undefined): K8sIdentity | undefined => {
  if (!id) return undefined;
  const { labels: _labels, ...rest } = id;
  return rest;
};

const KEEP: Record<FormatName, Keep> = {
  'foresight-ndjson': (f) => f,
  'aws-vpc': (f) => {
    const g = tcpOutcomeOnly(f, pick(f, [...BASIC, 'direction', 'outcome']));
    g.ts = floorS(f.ts);
    if (f.durationMs !== undefined) g.durationMs = floorS(f.ts + f.durationMs) - floorS(f.ts);
    return g;
  },
  'azure-nsg': (f) => ({ ...pick(f, BASIC), ts: floorS(f.ts), direction: f.direction ?? 'ingress' }),
  'azure-vnet': (f) => ({ ...pick(f, BASIC), ts: Math.floor(f.ts), direction: f.direction ?? 'ingress' }),
  'gcp-vpc': (f) => {
    const g = pick(f, [...BASIC, 'durationMs', 'direction']);
    const src = noLabels(f.srcK8s);
    const dst = noLabels(f.dstK8s);
    if (src) g.srcK8s = src;
    if (dst) g.dstK8s = dst;
    return g;
  },
  hubble: (f) =>
    tcpOutcomeOnly(
      f,
      pick(f, [
        'ts',
        'src',
        'dst',
        'srcPort',
        'dstPort',
        'proto',
        'action',
        'outcome',
        'direction',
        'srcK8s',
        'dstK8s',
      ]),
    ),
  calico: (f) => ({ ...pick(f, [...BASIC, 'direction', 'srcK8s', 'dstK8s']), ts: floorS(f.ts) }),
  'zeek-tsv': (f) => ({
    ...pick(f, [...BASIC, 'durationMs', 'outcome', 'direction', 'label']),
    ts: micro(f.ts),
    action: 'allow',
  }),
  'zeek-json': (f) => ({
    ...pick(f, [...BASIC, 'durationMs', 'outcome', 'direction', 'label']),
    ts: micro(f.ts),
    action: 'allow',
  }),
  'argus-csv': (f) => ({
    ...pick(f, [...BASIC, 'durationMs', 'outcome', 'label']),
    ts: micro(f.ts),
    action: 'allow',
  }),
  'unsw-nb15': (f) => ({
    ...pick(f, [...BASIC, 'durationMs', 'outcome', 'label']),
    ts: floorS(f.ts),
    action: 'allow',
  }),
};

describe('write → parse round trip', () => {
  for (const format of FORMATS) {
    it(`${format.name} keeps what the format can hold`, () => {
      const lines = format.write(FLOWS);
      const outcomes = parseAll(format, lines);
      assert.deepEqual(
        outcomes.filter((o) => o.kind === 'error' || o.kind === 'skip'),
        [],
      );
      assert.deepEqual(flowsOf(outcomes), FLOWS.map(KEEP[format.name]));
    });

    it(`${format.name} survives lines shipped without their header (parser given the header)`, () => {
      const lines = format.write(FLOWS);
      const first = format.createParser();
      const body: string[] = [];
      for (const l of lines) if (first.parse(l).kind !== 'header') body.push(l);
      const second = format.createParser({ header: first.headerLines() });
      assert.deepEqual(flowsOf(body.map((l) => second.parse(l))), FLOWS.map(KEEP[format.name]));
    });
  }

  it('foresight-ndjson is lossless for timestamps before 2001 (written as RFC 3339)', () => {
    const old: FlowRecord = { ts: 700000000000, src: '10.0.0.1', dst: '10.0.0.2', proto: 6, action: 'allow' };
    const ndjson = FORMATS[0];
    assert.ok(ndjson);
    assert.deepEqual(flowsOf(parseAll(ndjson, ndjson.write([old]))), [old]);
  });
});
