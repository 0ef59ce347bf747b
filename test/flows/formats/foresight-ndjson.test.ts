import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRecord } from '../../../src/flows/flow-record.js';
import { foresightNdjson } from '../../../src/flows/formats/foresight-ndjson.js';
import { errorOf, single } from './fixtures.js';

const parse = (o: unknown) => foresightNdjson.createParser().parse(JSON.stringify(o));
const base = {
  timestamp: '2024-05-01T12:00:00.250Z',
  src_ip: '10.0.0.1',
  dst_ip: '10.0.0.2',
  action: 'allow',
};

describe('foresight-ndjson: the seed minimum record', () => {
  it('reads timestamp, addresses and action only', () => {
    assert.deepEqual(single(parse(base)), {
      ts: Date.UTC(2024, 4, 1, 12, 0, 0, 250),
      src: '10.0.0.1',
      dst: '10.0.0.2',
      proto: 0,
      action: 'allow',
    });
  });

  const timestamps: [unknown, number][] = [
    [1714564800, 1714564800000],
    [1714564800.5, 1714564800500],
    [1714564800123, 1714564800123],
    ['2024-05-01T14:00:00+02:00', 1714564800000],
  ];
  for (const [ts, ms] of timestamps) {
    it(`timestamp ${JSON.stringify(ts)} → ${ms}`, () =>
      assert.equal(single(parse({ ...base, timestamp: ts })).ts, ms));
  }

  const actions: [string, FlowRecord['action']][] = [
    ['ACCEPT', 'allow'],
    ['REJECT', 'deny'],
    ['ALLOW', 'allow'],
    ['DENY', 'deny'],
    ['allowed', 'allow'],
    ['Denied', 'deny'],
  ];
  for (const [word, action] of actions) {
    it(`action ${word} → ${action}`, () =>
      assert.equal(single(parse({ ...base, action: word })).action, action));
  }

  const protos: [unknown, number][] = [
    [6, 6],
    ['tcp', 6],
    ['UDP', 17],
    ['icmp', 1],
    ['icmpv6', 58],
  ];
  for (const [p, n] of protos) {
    it(`protocol ${JSON.stringify(p)} → ${n}`, () =>
      assert.equal(single(parse({ ...base, protocol: p })).proto, n));
  }

  it('reads every optional field', () => {
    const f = single(
      parse({
        ...base,
        src_port: 40000,
        dst_port: 443,
        protocol: 'tcp',
        bytes: 1200,
        packets: 10,
        duration_ms: 15.5,
        outcome: 'rejected',
        direction: 'egress',
        src_k8s: { namespace: 'shop', pod: 'web-1', workload: 'web', labels: { app: 'web' } },
        dst_k8s: { namespace: 'db' },
        label: 'attack:scan',
      }),
    );
    assert.equal(f.durationMs, 15.5);
    assert.equal(f.outcome, 'rejected');
    assert.deepEqual(f.srcK8s, { namespace: 'shop', pod: 'web-1', workload: 'web', labels: { app: 'web' } });
    assert.deepEqual(f.dstK8s, { namespace: 'db' });
    assert.equal(f.label, 'attack:scan');
  });

  const bad: [string, unknown, RegExp][] = [
    ['missing timestamp', { ...base, timestamp: undefined }, /^timestamp is missing$/],
    ['1970 timestamp', { ...base, timestamp: 12 }, /^timestamp 12 is not a plausible time/],
    ['IPv4 out of range', { ...base, dst_ip: '999.1.1.1' }, /^dst_ip "999.1.1.1" is not an IP address$/],
    ['port 65536', { ...base, src_port: 65536 }, /^src_port 65536/],
    ['fractional port', { ...base, src_port: 1.5 }, /^src_port 1.5/],
    ['unknown protocol', { ...base, protocol: 'carrier-pigeon' }, /^protocol "carrier-pigeon"/],
    ['bad outcome', { ...base, outcome: 'maybe' }, /^outcome "maybe"/],
    ['k8s without namespace', { ...base, src_k8s: { pod: 'x' } }, /^src_k8s\.namespace/],
    ['huge bytes', { ...base, bytes: 1e300 }, /^bytes /],
  ];
  for (const [name, o, detail] of bad) {
    it(`rejects ${name}`, () => {
      const e = errorOf(parse(o));
      assert.equal(e.reason, 'invalid-field');
      assert.match(e.detail, detail);
    });
  }

  it('reports broken JSON as malformed and blank lines as skips', () => {
    assert.equal(errorOf(foresightNdjson.createParser().parse('{"timestamp":')).reason, 'malformed');
    assert.deepEqual(foresightNdjson.createParser().parse('   '), { kind: 'skip', reason: 'blank' });
  });
});
