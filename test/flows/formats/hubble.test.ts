import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hubble } from '../../../src/flows/formats/hubble.js';
import { errorOf, fixtureLines, parseAll, single } from './fixtures.js';

describe('hubble: sample', () => {
  const lines = fixtureLines('cilium_hubble_flow.sample');
  const out = parseAll(hubble, lines);

  it('reads a policy-denied SYN with pod identities', () => {
    assert.deepEqual(single(out[1]), {
      ts: Date.UTC(2023, 7, 21, 12, 12, 18) + 510.175,
      src: '10.244.1.60',
      dst: '10.244.1.5',
      srcPort: 44916,
      dstPort: 80,
      proto: 6,
      action: 'deny',
      outcome: 'attempt',
      srcK8s: { namespace: 'default', pod: 'xwing' },
      dstK8s: { namespace: 'default', pod: 'deathstar-7848d6c4d5-th9v2' },
    });
  });

  it('reads an AKS forwarded flow with workloads and k8s: labels', () => {
    const f = single(out[2]);
    assert.equal(f.action, 'allow');
    assert.equal(f.outcome, 'established');
    assert.equal(f.direction, 'egress');
    assert.deepEqual(f.srcK8s, {
      namespace: 'default',
      pod: 'kapinger-good-64cbf459c4-q4tr9',
      workload: 'kapinger-good',
      labels: { app: 'kapinger', server: 'good' },
    });
    assert.equal(f.dstK8s?.workload, 'kapinger-bad');
  });

  it('reads ICMPv6 over IPv6 without identities', () => {
    const f = single(out[0]);
    assert.equal(f.proto, 58);
    assert.equal(f.src, 'fe80::64d8:8aff:fe72:fc14');
    assert.equal(f.srcPort, 133, 'ICMP type in srcPort');
    assert.equal(f.srcK8s, undefined);
  });

  it('dead-letters the constructed 1970 flow', () => {
    const e = errorOf(out[5]);
    assert.equal(e.reason, 'invalid-field');
    assert.match(e.detail, /^flow\.time "1970-01-01T00:20:34.567800Z"/);
  });
});

describe('hubble: shapes and vocabularies', () => {
  const flow = (extra: Record<string, unknown>) =>
    JSON.stringify({
      time: '2024-01-01T00:00:00Z',
      verdict: 'FORWARDED',
      IP: { source: '10.0.0.1', destination: '10.0.0.2' },
      ...extra,
    });
  const cases: { name: string; line: string; check: (f: ReturnType<typeof single>) => void }[] = [
    { name: 'bare flow object', line: flow({}), check: (f) => assert.equal(f.src, '10.0.0.1') },
    {
      name: 'AUDIT → allow',
      line: flow({ verdict: 'AUDIT' }),
      check: (f) => assert.equal(f.action, 'allow'),
    },
    { name: 'ERROR → deny', line: flow({ verdict: 'ERROR' }), check: (f) => assert.equal(f.action, 'deny') },
    {
      name: 'RST → rejected',
      line: flow({ l4: { TCP: { source_port: 1, destination_port: 2, flags: { RST: true, ACK: true } } } }),
      check: (f) => assert.equal(f.outcome, 'rejected'),
    },
    {
      name: 'SYN-ACK → established',
      line: flow({ l4: { TCP: { source_port: 1, destination_port: 2, flags: { SYN: true, ACK: true } } } }),
      check: (f) => assert.equal(f.outcome, 'established'),
    },
    {
      name: 'UDP ports',
      line: flow({ l4: { UDP: { source_port: 5353, destination_port: 53 } } }),
      check: (f) => assert.deepEqual([f.proto, f.srcPort, f.dstPort], [17, 5353, 53]),
    },
    {
      name: 'non-k8s labels dropped',
      line: flow({ source: { namespace: 'a', labels: ['reserved:host', 'k8s:app=x', 'cidr:1.0.0.0/8'] } }),
      check: (f) => assert.deepEqual(f.srcK8s, { namespace: 'a', labels: { app: 'x' } }),
    },
    {
      name: 'INGRESS direction',
      line: flow({ traffic_direction: 'INGRESS' }),
      check: (f) => assert.equal(f.direction, 'ingress'),
    },
  ];
  for (const c of cases) it(c.name, () => c.check(single(hubble.createParser().parse(c.line))));

  it('skips flows without an IP layer and non-flow exporter events', () => {
    const p = hubble.createParser();
    assert.deepEqual(p.parse(JSON.stringify({ flow: { verdict: 'FORWARDED', ethernet: {} } })), {
      kind: 'skip',
      reason: 'non-ip',
    });
    assert.equal(p.parse(JSON.stringify({ lost_events: { num_events_lost: 3 } })).kind, 'skip');
  });

  it('rejects an unknown verdict', () => {
    assert.match(
      errorOf(hubble.createParser().parse(flow({ verdict: 'MAYBE' }))).detail,
      /^flow\.verdict "MAYBE"/,
    );
  });
});
