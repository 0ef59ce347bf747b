import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlowRecord } from '../../../src/flows/flow-record.js';
import { WindowAggregator, type AggregatorOptions } from '../../../src/detector/features/aggregator.js';
import { entityOf } from '../../../src/detector/features/entities.js';
import { FEATURE_SCHEMA } from '../../../src/detector/features/schema.js';
import type { FeatureRow, PeerSeen } from '../../../src/detector/store/types.js';

const F = FEATURE_SCHEMA.index;
const T0 = Date.UTC(2026, 0, 5, 12, 0, 0); // a Monday, on a bucket boundary
const OPTS: AggregatorOptions = {
  bucketMs: 10_000,
  windowMs: 60_000,
  latenessMs: 5_000,
  idleFlushMs: 5_000,
  peerHistoryMs: 86_400_000,
};

function flow(ts: number, src: string, dst: string, extra: Partial<FlowRecord> = {}): FlowRecord {
  return { ts, src, dst, proto: 6, action: 'allow', dstPort: 443, bytes: 100, packets: 2, ...extra };
}

function feed(agg: WindowAggregator, flows: FlowRecord[], replayed = false): FeatureRow[] {
  const rows: FeatureRow[] = [];
  for (const f of flows) {
    agg.add(f, entityOf('source', f.src, f.srcK8s), undefined, replayed);
    rows.push(...agg.advance().rows);
  }
  return rows;
}

function finish(agg: WindowAggregator): FeatureRow[] {
  agg.endOfStream();
  return agg.advance().rows;
}

describe('WindowAggregator', () => {
  it('emits a row where the entity is newly active and on the tumbling grid, not for quiet sliding windows', () => {
    const agg = new WindowAggregator(OPTS);
    const rows = [...feed(agg, [flow(T0 + 3_000, 'a', 'b'), flow(T0 + 25_000, 'a', 'c')]), ...finish(agg)];
    assert.deepEqual(
      rows.map((r) => (r.windowEnd - T0) / 1000),
      [10, 30, 60],
    );
    for (const r of rows) assert.equal(r.windowEnd - r.windowStart, 60_000);
    assert.deepEqual(
      rows.map((r) => r.flows),
      [1, 2, 2],
    );
  });

  it('emits a window only once the watermark (newest event − lateness) passes its end', () => {
    const agg = new WindowAggregator(OPTS);
    assert.equal(feed(agg, [flow(T0 + 1_000, 'a', 'b'), flow(T0 + 14_000, 'a', 'c')]).length, 0);
    const rows = feed(agg, [flow(T0 + 15_000, 'a', 'c')]);
    assert.deepEqual(
      rows.map((r) => r.windowEnd - T0),
      [10_000],
    );
  });

  it('rejects flows whose bucket the watermark has passed as late', () => {
    const agg = new WindowAggregator(OPTS);
    feed(agg, [flow(T0 + 30_000, 'a', 'b')]);
    assert.equal(
      agg.add(flow(T0 + 26_000, 'a', 'b'), entityOf('source', 'a', undefined), undefined),
      'added',
    );
    assert.equal(agg.add(flow(T0 + 19_999, 'a', 'b'), entityOf('source', 'a', undefined), undefined), 'late');
  });

  it('lets event time move on after the source has been idle', () => {
    const agg = new WindowAggregator(OPTS);
    feed(agg, [flow(T0 + 1_000, 'a', 'b')]);
    agg.idle(4_000);
    assert.equal(agg.advance().rows.length, 0);
    agg.idle(5_000 + 14_000);
    assert.deepEqual(
      agg.advance().rows.map((r) => r.windowEnd - T0),
      [10_000],
    );
  });

  it('computes scan-like features for one source hitting many ports', () => {
    const agg = new WindowAggregator(OPTS);
    const scan = Array.from({ length: 100 }, (_, i) =>
      flow(T0 + i * 100, 'scanner', 'victim', { dstPort: 1 + i, outcome: 'attempt', bytes: 60 }),
    );
    const rows = [...feed(agg, scan), ...finish(agg)];
    const first = rows[0]!;
    assert.equal(first.flows, 100);
    assert.ok(Math.abs(first.vector[F.dst_ports_log]! - Math.log1p(100)) < 1e-12);
    assert.ok(Math.abs(first.vector[F.dst_port_entropy]! - Math.log2(100)) < 1e-9);
    assert.equal(first.vector[F.failed_ratio], 1);
    assert.equal(first.vector[F.peers_log], Math.log1p(1));
    assert.equal(first.vector[F.well_known_port_share], 1);
  });

  it('marks peers new only in the bucket they first appear in', () => {
    const agg = new WindowAggregator(OPTS);
    const rows = [
      ...feed(agg, [flow(T0 + 1_000, 'a', 'p1'), flow(T0 + 11_000, 'a', 'p1'), flow(T0 + 71_000, 'a', 'p1')]),
      ...finish(agg),
    ];
    const byEnd = new Map(rows.map((r) => [r.windowEnd - T0, r.vector[F.new_peer_share]]));
    assert.equal(byEnd.get(10_000), 1); // p1 first seen in [0,10)
    assert.equal(byEnd.get(60_000), 1); // window [0,60) still contains that first bucket
    assert.equal(byEnd.get(80_000), 0); // window [20,80) sees p1 only as a known peer
  });

  it('scores periodic contact as beaconing and irregular contact lower', () => {
    const periodic = new WindowAggregator(OPTS);
    const beacons = Array.from({ length: 10 }, (_, i) => flow(T0 + i * 5_000, 'bot', 'cnc'));
    const beaconRow = [...feed(periodic, beacons), ...finish(periodic)].find(
      (r) => r.windowEnd === T0 + 60_000,
    )!;
    const bursty = new WindowAggregator(OPTS);
    const irregular = [0, 200, 400, 9_000, 9_100, 30_000, 30_050, 44_000, 44_100, 45_000].map((d) =>
      flow(T0 + d, 'web', 'api'),
    );
    const burstRow = [...feed(bursty, irregular), ...finish(bursty)].find(
      (r) => r.windowEnd === T0 + 60_000,
    )!;
    assert.ok(beaconRow.vector[F.beaconing]! > 0.99);
    assert.ok(burstRow.vector[F.beaconing]! < 0.2);
  });

  it('encodes hour and day of week of the window end', () => {
    const agg = new WindowAggregator(OPTS);
    const rows = [...feed(agg, [flow(T0 + 1_000, 'a', 'b')]), ...finish(agg)];
    const r = rows[0]!; // ends 12:00:10 UTC on a Monday
    assert.ok(Math.abs(r.vector[F.hour_cos]! - -1) < 1e-4);
    assert.ok(Math.abs(r.vector[F.dow_sin]!) < 1e-12);
    assert.equal(r.vector[F.dow_cos], 1);
  });

  it('after a restart from a checkpoint, re-read flows complete the open windows exactly', () => {
    const stream = Array.from({ length: 400 }, (_, i) =>
      flow(T0 + i * 700, `10.0.0.${i % 7}`, `10.0.1.${(i * 13) % 37}`, { dstPort: 80 + (i % 5), bytes: i }),
    );
    const whole = new WindowAggregator(OPTS);
    const expected = [...feed(whole, stream), ...finish(whole)];

    // First run: crash after flow 250; what was emitted is durable, with its checkpoint and peers.
    const first = new WindowAggregator(OPTS);
    const durable: FeatureRow[] = [];
    const peers = [];
    for (const f of stream.slice(0, 250)) {
      first.add(f, entityOf('source', f.src, undefined), undefined);
      const r = first.advance();
      durable.push(...r.rows);
      peers.push(...r.newPeers);
    }
    const checkpoint = first.flushedThrough;
    // Re-read from the oldest flow whose last window was not yet durable (what resumeSeq gives).
    const resumeAt = stream.findIndex((f) => first.lastWindowEnd(f.ts) > checkpoint);
    const second = new WindowAggregator({ ...OPTS, flushedThrough: checkpoint, peerHistory: peers });
    const rerun = [
      ...feed(second, stream.slice(resumeAt, 250), true),
      ...feed(second, stream.slice(250)),
      ...finish(second),
    ];

    const key = (r: FeatureRow) => `${r.entity}@${r.windowStart}`;
    const merged = new Map([...durable, ...rerun].map((r) => [key(r), r]));
    assert.equal(merged.size, expected.length);
    for (const e of expected) assert.deepEqual(merged.get(key(e)), e, key(e));
    assert.ok(
      rerun.every((r) => r.windowEnd > checkpoint),
      'no window is emitted twice',
    );
  });
});

describe('WindowAggregator first contacts (scan test)', () => {
  /** Every destination is monitored and is its own entity `ip:<dst>`, unless `unmonitored`. */
  function feedMonitored(
    agg: WindowAggregator,
    flows: FlowRecord[],
    o: { replayed?: boolean; unmonitored?: string } = {},
  ): { rows: FeatureRow[]; peers: PeerSeen[] } {
    const rows: FeatureRow[] = [];
    const peers: PeerSeen[] = [];
    for (const f of flows) {
      const target = f.dst === o.unmonitored ? undefined : `ip:${f.dst}`;
      agg.add(f, entityOf('source', f.src, f.srcK8s), undefined, o.replayed ?? false, target);
      const r = agg.advance();
      rows.push(...r.rows);
      peers.push(...r.newPeers);
    }
    return { rows, peers };
  }
  const finishAll = (agg: WindowAggregator) => {
    agg.endOfStream();
    return agg.advance();
  };
  const contactsAt = (rows: FeatureRow[], endS: number) =>
    rows.find((r) => r.windowEnd === T0 + endS * 1000)?.contacts;

  it('counts each new service once, by outcome, in the row its bucket ends', () => {
    const agg = new WindowAggregator(OPTS);
    const first = feedMonitored(agg, [
      flow(T0 + 1_000, 'x', 'v', { dstPort: 23, outcome: 'attempt' }),
      flow(T0 + 2_000, 'x', 'v', { dstPort: 445, outcome: 'rejected' }),
      flow(T0 + 3_000, 'x', 'v', { dstPort: 80, outcome: 'established' }),
      flow(T0 + 4_000, 'x', 'w', { dstPort: 80, outcome: 'attempt', action: 'deny' }),
      // Repeats of known services later: no first contacts.
      flow(T0 + 21_000, 'x', 'v', { dstPort: 23, outcome: 'attempt' }),
      flow(T0 + 22_000, 'x', 'v', { dstPort: 80, outcome: 'established' }),
    ]);
    const rows = [...first.rows, ...finishAll(agg).rows];
    assert.deepEqual(contactsAt(rows, 10), { firstOk: 1, firstFailed: 3 });
    assert.equal(contactsAt(rows, 30), undefined);
    assert.equal(contactsAt(rows, 60), undefined); // the grid window: its newest bucket is not the first one
    const total = rows.reduce(
      (n, r) => n + (r.contacts ? r.contacts.firstOk + r.contacts.firstFailed : 0),
      0,
    );
    assert.equal(total, 4, 'each first contact counted in exactly one row');
    assert.deepEqual(
      first.peers
        .filter((p) => p.service !== undefined)
        .map((p) => `${p.peer} ${p.service}`)
        .sort(),
      ['ip:v 6/23', 'ip:v 6/445', 'ip:v 6/80', 'ip:w 6/80'],
    );
  });

  it('a first contact that gets through within its bucket is a success', () => {
    const agg = new WindowAggregator(OPTS);
    const rows = [
      ...feedMonitored(agg, [
        flow(T0 + 1_000, 'x', 'v', { dstPort: 22, outcome: 'attempt' }),
        flow(T0 + 4_000, 'x', 'v', { dstPort: 22, outcome: 'established' }),
      ]).rows,
      ...finishAll(agg).rows,
    ];
    assert.deepEqual(contactsAt(rows, 10), { firstOk: 1, firstFailed: 0 });
  });

  const none: [string, FlowRecord][] = [
    [
      'a reply from a well-known port to an unprivileged one',
      flow(T0 + 1_000, 'dns', 'client', { srcPort: 53, dstPort: 50_123, proto: 17, outcome: 'attempt' }),
    ],
    ['ICMP', flow(T0 + 1_000, 'x', 'v', { proto: 1, dstPort: 771, outcome: 'attempt' })],
    ['a flow without an outcome (Zeek OTH)', flow(T0 + 1_000, 'x', 'v', { outcome: undefined })],
    ['an unmonitored destination', flow(T0 + 1_000, 'x', 'outside', { outcome: 'attempt' })],
  ];
  for (const [name, f] of none) {
    it(`is no trial: ${name}`, () => {
      const agg = new WindowAggregator(OPTS);
      const rows = [...feedMonitored(agg, [f], { unmonitored: 'outside' }).rows, ...finishAll(agg).rows];
      assert.ok(rows.length > 0);
      for (const r of rows) assert.equal(r.contacts, undefined);
    });
  }

  it('after a restart from a checkpoint, first contacts are counted exactly as in one run', () => {
    const outcomes = ['attempt', 'rejected', 'established'] as const;
    // 60 distinct (source, host, port) services, each seen again every 42 s: repeats straddle the checkpoint.
    const stream = Array.from({ length: 400 }, (_, i) =>
      flow(T0 + i * 700, `s${i % 5}`, `h${i % 3}`, {
        dstPort: 20 + (i % 4),
        outcome: outcomes[i % 7 === 0 ? 2 : i % 2],
      }),
    );
    const whole = new WindowAggregator(OPTS);
    const expected = [...feedMonitored(whole, stream).rows, ...finishAll(whole).rows];
    assert.ok(expected.some((r) => r.contacts !== undefined));

    const first = new WindowAggregator(OPTS);
    const { rows: durable, peers } = feedMonitored(first, stream.slice(0, 250));
    const checkpoint = first.flushedThrough;
    const resumeAt = stream.findIndex((f) => first.lastWindowEnd(f.ts) > checkpoint);
    const second = new WindowAggregator({ ...OPTS, flushedThrough: checkpoint, peerHistory: peers });
    const rerun = [
      ...feedMonitored(second, stream.slice(resumeAt, 250), { replayed: true }).rows,
      ...feedMonitored(second, stream.slice(250)).rows,
      ...finishAll(second).rows,
    ];
    const key = (r: FeatureRow) => `${r.entity}@${r.windowStart}`;
    const merged = new Map([...durable, ...rerun].map((r) => [key(r), r]));
    assert.equal(merged.size, expected.length);
    for (const e of expected) assert.deepEqual(merged.get(key(e)), e, key(e));
  });

  it('after a restart, a service first contacted before the re-read span is not new again', () => {
    // s1 reaches h1:22 once early, then other services for minutes, then h1:22 again.
    const early = flow(T0 + 5_000, 's1', 'h1', { dstPort: 22, outcome: 'rejected' });
    const filler = Array.from({ length: 60 }, (_, i) =>
      flow(T0 + 20_000 + i * 5_000, 's1', 'h2', { dstPort: 443, outcome: 'established' }),
    );
    const again = flow(T0 + 330_000, 's1', 'h1', { dstPort: 22, outcome: 'rejected' });
    const stream = [early, ...filler, again];

    const whole = new WindowAggregator(OPTS);
    const expected = [...feedMonitored(whole, stream).rows, ...finishAll(whole).rows];
    const firsts = (rows: FeatureRow[]) =>
      rows.reduce((n, r) => n + (r.contacts ? r.contacts.firstOk + r.contacts.firstFailed : 0), 0);
    assert.equal(firsts(expected), 2); // h1:22 and h2:443, once each

    const first = new WindowAggregator(OPTS);
    const { rows: durable, peers } = feedMonitored(first, stream.slice(0, 50));
    assert.ok(
      peers.some((p) => p.service === '6/22'),
      'the first contact is in the peer history',
    );
    const checkpoint = first.flushedThrough;
    const resumeAt = stream.findIndex((f) => first.lastWindowEnd(f.ts) > checkpoint);
    assert.ok(resumeAt > 0, 'the early contact is not re-read');
    const second = new WindowAggregator({ ...OPTS, flushedThrough: checkpoint, peerHistory: peers });
    const rerun = [
      ...feedMonitored(second, stream.slice(resumeAt, 50), { replayed: true }).rows,
      ...feedMonitored(second, stream.slice(50)).rows,
      ...finishAll(second).rows,
    ];
    assert.equal(firsts(durable) + firsts(rerun.filter((r) => r.windowEnd > checkpoint)), 2);
  });
});
