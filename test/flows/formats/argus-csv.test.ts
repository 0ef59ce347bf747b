import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argusCsv, argusPort } from '../../../src/flows/formats/argus-csv.js';
import { argusOutcome } from '../../../src/flows/formats/argus-state.js';
import { isMaliciousLabel } from '../../../src/flows/flow-record.js';
import { errorOf, fixtureLines, flowsOf, parseAll, single } from './fixtures.js';

describe('argus-csv: CTU-13 cut', () => {
  const lines = fixtureLines('ctu13_capture20110816_first200.binetflow.csv');
  const out = parseAll(argusCsv, lines);

  it('reads the header and 200 rows without dead letters (one IPX row is skipped)', () => {
    assert.deepEqual(out[0], { kind: 'header' });
    assert.equal(flowsOf(out).length, 199);
    assert.deepEqual(
      out.filter((o) => o.kind === 'skip'),
      [{ kind: 'skip', reason: 'non-ip' }],
    );
    assert.equal(out.filter((o) => o.kind === 'error').length, 0);
  });

  it('reads the first row: UTC start time, duration, bytes, label verbatim', () => {
    assert.deepEqual(single(out[1]), {
      ts: Date.UTC(2011, 7, 16, 10, 1, 46) + 972.101,
      durationMs: 3599986.572,
      src: '88.176.79.163',
      dst: '147.32.84.172',
      srcPort: 49213,
      dstPort: 18250,
      proto: 6,
      action: 'allow',
      packets: 414671,
      bytes: 415389446,
      outcome: 'established',
      label: 'flow=Background',
    });
  });

  it('reads a UDP CON row as established', () => {
    const f = single(out[3]);
    assert.equal(f.proto, 17);
    assert.equal(f.outcome, 'established');
    assert.equal(f.label, 'flow=Background-UDP-Established');
  });

  it('leaves one-sided midstream TCP (RA_) without outcome and accepts an empty dTos', () => {
    const f = single(out[4]);
    assert.equal(f.outcome, undefined);
    assert.equal(f.bytes, 264);
  });
});

describe('argus-csv: CTU-13 botnet rows', () => {
  const flows = flowsOf(
    parseAll(argusCsv, fixtureLines('ctu13_capture20110816_botnet_first20.binetflow.csv')),
  );

  it('reads the SPAM fan-out as SYN-only attempts to tcp/25 labelled malicious', () => {
    const spam = flows.filter((f) => f.label?.includes('Attempt-SPAM'));
    assert.equal(spam.length, 14);
    for (const f of spam) {
      assert.equal(f.outcome, 'attempt');
      assert.equal(f.dstPort, 25);
      assert.equal(f.src, '147.32.84.165');
      assert.ok(isMaliciousLabel(f.label));
    }
  });

  it('reads the C&C flow to 91.212.135.158:5678 as established', () => {
    const cc = flows.find((f) => f.label?.includes('CC73'));
    assert.equal(cc?.dst, '91.212.135.158');
    assert.equal(cc?.dstPort, 5678);
    assert.equal(cc?.outcome, 'established');
  });
});

describe('argus-csv: rows from elsewhere in the capture', () => {
  const parse = (row: string) => argusCsv.createParser().parse(row);

  it('reads hex ICMP ports as type/code', () => {
    const f = single(
      parse(
        '2011/08/16 10:01:47.881681,619.585266,icmp,94.0.247.147,0x0103,   ->,147.32.84.59,0x5e00,URH,0,,6,1062,1062,flow=Background-Attempt-cmpgw-CVUT',
      ),
    );
    assert.deepEqual([f.proto, f.srcPort, f.dstPort, f.outcome], [1, 0x0103, 0x5e00, undefined]);
  });

  it('drops a 32-bit ESP SPI in the port column', () => {
    const f = single(
      parse(
        '2011/08/16 10:12:44.069444,2905.065674,esp,147.32.85.33,,   ->,192.35.241.84,0x2020597d,INT,0,,11903,2358690,2358690,flow=Background',
      ),
    );
    assert.deepEqual([f.proto, f.srcPort, f.dstPort], [50, undefined, undefined]);
  });

  it('skips IPX rows whose addresses are MAC addresses', () => {
    assert.deepEqual(
      parse(
        '2011/08/16 10:01:47.649052,3594.202881,ipx/spx,00:15:17:2c:e5:2d,,   ->,ff:ff:ff:ff:ff:ff,,INT,,,568,52705,52705,flow=Background',
      ),
      { kind: 'skip', reason: 'non-ip' },
    );
  });

  it('reads IPv6 ICMP rows', () => {
    const f = single(
      parse(
        '2011/08/16 10:02:13.313446,3511.545410,ipv6-icmp,2001:718:2:1612:0:1:0:310,135,   ->,ff02::1:ff1b:d243,,NNS,0,,7,602,602,flow=Background',
      ),
    );
    assert.deepEqual([f.proto, f.srcPort, f.dst], [58, 135, 'ff02::1:ff1b:d243']);
  });

  it('names bad fields', () => {
    const row =
      '2011/08/16 10:01:46.972101,3599.986572,tcp,88.176.79.163,49213,  <?>,147.32.84.172,18250,A_PA,0,0,414671,415389446,10150692,flow=Background';
    assert.match(
      errorOf(parse(row.replace('147.32.84.172', '999.1.1.1'))).detail,
      /^DstAddr "999.1.1.1" is not an IP address$/,
    );
    assert.match(errorOf(parse(row.replace('2011/08/16', '1970/08/16'))).detail, /^StartTime /);
    assert.match(errorOf(parse(row.replace(',414671,', ',-1,'))).detail, /^TotPkts "-1"/);
    assert.equal(errorOf(parse('2011/08/16 10:01:46.972101,1,tcp')).reason, 'malformed');
  });
});

describe('argus state → outcome', () => {
  const cases: [string, string | undefined][] = [
    ['S_', 'attempt'],
    ['SR_', 'attempt'],
    ['SEC_', 'attempt'],
    ['S_RA', 'rejected'],
    ['S_R', 'rejected'],
    ['S_RPA', 'rejected'],
    ['S_SA', 'established'],
    ['SR_SA', 'established'],
    ['SA_', 'established'],
    ['SA_R', 'established'],
    ['FSPA_FSPA', 'established'],
    ['FSPA_FSRPA', 'established'],
    ['A_PA', 'established'],
    ['_FSPA', 'established'],
    ['A_', undefined],
    ['RA_', undefined],
    ['PA_', undefined],
    ['CON', 'established'],
    ['FIN', 'established'],
    ['INT', 'attempt'],
    ['REQ', 'attempt'],
    ['ECO', 'attempt'],
    ['ECR', 'established'],
    ['RST', 'rejected'],
    ['URP', undefined],
    ['URH', undefined],
    ['', undefined],
  ];
  for (const [state, outcome] of cases) {
    it(`${state || '(empty)'} → ${outcome ?? 'unknown'}`, () => assert.equal(argusOutcome(state), outcome));
  }
});

describe('argus ports', () => {
  const cases: [string | undefined, number | undefined][] = [
    [undefined, undefined],
    ['', undefined],
    ['80', 80],
    ['0x0303', 0x0303],
    ['0x2020597d', undefined],
  ];
  for (const [raw, expected] of cases)
    it(`${raw ?? 'unset'} → ${expected}`, () => assert.equal(argusPort('p', raw), expected));
});
