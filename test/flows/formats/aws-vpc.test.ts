import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { awsVpc, outcomeFromTcpFlags } from '../../../src/flows/formats/aws-vpc.js';
import { errorOf, fixtureLines, flowsOf, parseAll, single } from './fixtures.js';

describe('aws-vpc: v2 default sample', () => {
  const lines = fixtureLines('aws_vpc_flow_v2_default.sample');
  const out = parseAll(awsVpc, lines);

  it('reads the first ACCEPT record with every field', () => {
    assert.deepEqual(single(out[1]), {
      ts: 1418530010000,
      durationMs: 60000,
      src: '172.31.16.139',
      dst: '172.31.16.21',
      srcPort: 20641,
      dstPort: 22,
      proto: 6,
      action: 'allow',
      bytes: 4249,
      packets: 20,
    });
  });

  it('maps REJECT to deny', () => {
    const f = single(out[2]);
    assert.equal(f.action, 'deny');
    assert.equal(f.dstPort, 3389);
  });

  it('skips NODATA and SKIPDATA records and treats # lines as headers', () => {
    assert.deepEqual(out[0], { kind: 'header' });
    assert.deepEqual(out[3], { kind: 'skip', reason: 'nodata' });
    assert.deepEqual(out[4], { kind: 'skip', reason: 'skipdata' });
    assert.equal(out.filter((o) => o.kind === 'header').length, 3);
  });

  it('reads ICMP and IPv6 records', () => {
    const icmp = single(out[5]);
    assert.equal(icmp.proto, 1);
    assert.equal(icmp.durationMs, 115000);
    const v6 = single(out[7]);
    assert.equal(v6.src, '2001:db8:1234:a100:8d6e:3477:df66:f105');
    assert.equal(v6.bytes, 8855);
  });

  it('ignores the account id it does not use (the redacted AWS_ACCOUNT_ID capture parses)', () => {
    const f = single(out[lines.findIndex((l) => l.startsWith('2 AWS_ACCOUNT_ID'))]);
    assert.equal(f.src, '10.0.134.187');
    assert.equal(f.ts, 1617604407000);
  });

  it('has no dead letters in the whole sample', () => {
    assert.equal(out.filter((o) => o.kind === 'error').length, 0);
    assert.equal(flowsOf(out).length, 9);
  });
});

describe('aws-vpc: custom v3–v5 sample', () => {
  const lines = fixtureLines('aws_vpc_flow_v3_v5_custom.sample');
  const out = parseAll(awsVpc, lines);
  const at = (needle: string) => out[lines.findIndex((l) => l.includes(needle))];

  it('reads fields in the order the header line names them', () => {
    const f = single(at('52.213.180.42 10.0.0.62 43416 5001'));
    assert.equal(f.src, '52.213.180.42');
    assert.equal(f.dstPort, 5001);
    assert.equal(f.bytes, 568);
    assert.equal(f.packets, 8);
    assert.equal(f.ts, 1566848875000);
    assert.equal(f.durationMs, 58000);
  });

  it('accepts runs of spaces between fields', () => {
    assert.equal(single(at('5001 43638  10.0.0.62')).bytes, 967);
  });

  it('reads flow-direction (v5)', () => {
    const f = single(at('52.95.128.179 10.0.0.71 80 34210'));
    assert.equal(f.direction, 'ingress');
    assert.equal(f.outcome, 'established');
    assert.equal(single(at('10.0.0.71 52.95.128.179 34210 80')).direction, 'egress');
  });

  it('dead-letters records of a format without start time (transit gateway block)', () => {
    const e = errorOf(
      at(
        'eni-33333333333333333 123456789010 vpc-abcdefab012345678 subnet-22222222bbbbbbbbb i-01234567890123456 10.20.33.164',
      ),
    );
    assert.equal(e.reason, 'invalid-field');
    assert.match(e.detail, /^start /);
  });

  it('dead-letters the implausible start time of the all-fields block', () => {
    const e = errorOf(at('64111117617'));
    assert.equal(e.reason, 'invalid-field');
    assert.match(e.detail, /start "164000066" is not a plausible time/);
  });
});

describe('aws-vpc: header handling and validation', () => {
  it('configures from a ${field} LogFormat header passed to createParser', () => {
    const parser = awsVpc.createParser({
      header: [
        '${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${start} ${end} ${action} ${protocol} ${tcp-flags}',
      ],
    });
    const f = single(parser.parse('5 10.40.1.175 10.40.2.236 10.20.33.164 1700000000 1700000060 ACCEPT 6 2'));
    assert.equal(f.src, '10.20.33.164', 'pkt-srcaddr (pre-NAT) wins over srcaddr');
    assert.equal(f.dst, '10.40.2.236');
    assert.equal(f.outcome, 'attempt');
    assert.deepEqual(parser.headerLines(), [
      '${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr} ${start} ${end} ${action} ${protocol} ${tcp-flags}',
    ]);
  });

  const cases: { name: string; line: string; reason: string; detail: RegExp }[] = [
    {
      name: 'invalid address',
      line: '2 1 eni-1 999.1.1.1 10.0.0.1 1 2 6 1 1 1418530010 1418530070 ACCEPT OK',
      reason: 'invalid-field',
      detail: /^srcaddr "999.1.1.1" is not an IP address$/,
    },
    {
      name: 'port out of range',
      line: '2 1 eni-1 10.0.0.2 10.0.0.1 1 70000 6 1 1 1418530010 1418530070 ACCEPT OK',
      reason: 'invalid-field',
      detail: /^dstport "70000"/,
    },
    {
      name: 'negative bytes',
      line: '2 1 eni-1 10.0.0.2 10.0.0.1 1 2 6 1 -5 1418530010 1418530070 ACCEPT OK',
      reason: 'invalid-field',
      detail: /^bytes "-5"/,
    },
    {
      name: 'end before start',
      line: '2 1 eni-1 10.0.0.2 10.0.0.1 1 2 6 1 1 1418530070 1418530010 ACCEPT OK',
      reason: 'invalid-field',
      detail: /^end /,
    },
    {
      name: 'unknown action',
      line: '2 1 eni-1 10.0.0.2 10.0.0.1 1 2 6 1 1 1418530010 1418530070 MAYBE OK',
      reason: 'invalid-field',
      detail: /^action "MAYBE"/,
    },
    {
      name: 'wrong field count',
      line: '2 1 eni-1 10.0.0.2 10.0.0.1 1 2 6',
      reason: 'malformed',
      detail: /expected 14 fields/,
    },
  ];
  for (const c of cases) {
    it(`rejects ${c.name}`, () => {
      const e = errorOf(awsVpc.createParser().parse(c.line));
      assert.equal(e.reason, c.reason);
      assert.match(e.detail, c.detail);
    });
  }
});

describe('aws-vpc: tcp-flags → outcome', () => {
  const cases: [number, number | undefined, string | undefined][] = [
    [0, 3, undefined],
    [2, 1, 'attempt'],
    [2, undefined, 'attempt'],
    [2, 8, 'established'],
    [18, 5, 'established'],
    [3, 4, 'established'],
    [19, 10, 'established'],
    [4, 1, 'rejected'],
    [6, 2, 'rejected'],
  ];
  for (const [flags, packets, expected] of cases) {
    it(`flags ${flags} with ${packets ?? 'unknown'} packets → ${expected ?? 'unknown'}`, () => {
      assert.equal(outcomeFromTcpFlags(flags, packets), expected);
    });
  }
});
