import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONN_STATE_OUTCOME } from '../../../src/flows/formats/zeek-conn.js';
import { zeekJson } from '../../../src/flows/formats/zeek-json.js';
import { zeekTsv } from '../../../src/flows/formats/zeek-tsv.js';
import { errorOf, fixtureLines, flowsOf, parseAll, single } from './fixtures.js';

describe('zeek-tsv: Stratosphere labelled sample', () => {
  const lines = fixtureLines('zeek_conn_tsv_labeled.sample');
  const out = parseAll(zeekTsv, lines);

  it('treats the # lines as headers and remembers them', () => {
    assert.equal(out.filter((o) => o.kind === 'header').length, 8);
    const p = zeekTsv.createParser();
    for (const l of lines) p.parse(l);
    assert.equal(p.headerLines().length, 8);
    assert.ok(p.headerLines()[6]?.startsWith('#fields\tts\tuid'));
  });

  it('reads an S0 scan row with label', () => {
    assert.deepEqual(single(out[8]), {
      ts: 1655071209953.394,
      durationMs: 0.002,
      src: '167.94.138.99',
      dst: '147.32.83.165',
      srcPort: 7789,
      dstPort: 445,
      proto: 6,
      action: 'allow',
      bytes: 88,
      packets: 2,
      outcome: 'attempt',
      direction: 'ingress',
      label: 'Malicious',
    });
  });
});

describe('zeek-tsv: real file cut (008)', () => {
  const lines = fixtureLines('stratosphere_008_zeek_conn_first200.labeled');
  const out = parseAll(zeekTsv, lines);
  const flows = flowsOf(out);

  it('parses all 200 rows without dead letters', () => {
    assert.equal(flows.length, 200);
    assert.equal(out.filter((o) => o.kind === 'error').length, 0);
  });

  it('reads a Benign SF row as an established egress flow with IP-level bytes', () => {
    const f = flows[0];
    assert.equal(f?.src, '147.32.81.167');
    assert.equal(f?.dstPort, 443);
    assert.equal(f?.outcome, 'established');
    assert.equal(f?.direction, 'egress');
    assert.equal(f?.bytes, 1016 + 1226);
    assert.equal(f?.packets, 14 + 16);
    assert.equal(f?.label, 'Benign');
  });

  it('keeps the label column verbatim', () => {
    const labels = new Set(flows.map((f) => f.label));
    assert.deepEqual([...labels].sort(), ['Background', 'Benign', 'Malicious']);
  });
});

describe('zeek-tsv: header variants', () => {
  const row =
    '1655071209.953394\tC1\t10.0.0.1\t7789\t10.0.0.2\t445\ttcp\t-\t0.5\t0\t0\tREJ\tF\tT\t0\tSr\t1\t44\t1\t40\t(empty)';

  it('reads headerless rows in the default column order', () => {
    const f = single(zeekTsv.createParser().parse(row));
    assert.equal(f.outcome, 'rejected');
    assert.equal(f.action, 'allow', 'REJ is a host reset, not a firewall denial');
    assert.equal(f.label, undefined);
  });

  it('re-splits label columns joined by runs of spaces (IoT-23 style)', () => {
    const p = zeekTsv.createParser({
      header: [
        '#separator \\x09',
        '#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents   label   detailedlabel',
      ],
    });
    const f = single(p.parse(`${row}   Malicious   PartOfAHorizontalPortScan`));
    assert.equal(f.label, 'Malicious');
  });

  it('honours #unset_field and a custom #separator', () => {
    const p = zeekTsv.createParser({
      header: [
        '#separator ,',
        '#unset_field,?',
        '#fields,ts,id.orig_h,id.orig_p,id.resp_h,id.resp_p,proto,conn_state',
      ],
    });
    const f = single(p.parse('1655071209.5,10.0.0.1,?,10.0.0.2,53,udp,S0'));
    assert.equal(f.srcPort, undefined);
    assert.equal(f.proto, 17);
    assert.equal(f.outcome, 'attempt');
  });

  it('names a bad field and rejects a wrong column count', () => {
    assert.match(
      errorOf(zeekTsv.createParser().parse(row.replace('10.0.0.2', 'nohost'))).detail,
      /^id\.resp_h "nohost"/,
    );
    assert.equal(errorOf(zeekTsv.createParser().parse('1\t2\t3')).reason, 'malformed');
  });
});

describe('zeek-json: port-scan sample', () => {
  const out = parseAll(zeekJson, fixtureLines('zeek_conn_json_portscan.sample'));

  it('reads a DNS conn (SHR: only the responder seen → no outcome)', () => {
    assert.deepEqual(single(out[0]), {
      ts: 1664462456755.299,
      durationMs: 12.167,
      src: '172.16.1.11',
      dst: '8.8.8.8',
      srcPort: 40042,
      dstPort: 53,
      proto: 17,
      action: 'allow',
      bytes: 139,
      packets: 1,
      direction: 'egress',
    });
  });

  it('reads the nested id form and ICMP over IPv6', () => {
    const line = JSON.stringify({
      ts: 1664462456.5,
      uid: 'C1',
      id: { orig_h: 'fe80::1', orig_p: 128, resp_h: 'fe80::2', resp_p: 0 },
      proto: 'icmp',
      conn_state: 'OTH',
    });
    const f = single(zeekJson.createParser().parse(line));
    assert.equal(f.proto, 58);
    assert.equal(f.srcPort, 128);
    assert.equal(f.outcome, undefined);
  });
});

describe('zeek: conn_state → outcome', () => {
  const cases: [string, string | undefined][] = [
    ['S0', 'attempt'],
    ['SH', 'attempt'],
    ['RSTOS0', 'attempt'],
    ['REJ', 'rejected'],
    ['SF', 'established'],
    ['S1', 'established'],
    ['S2', 'established'],
    ['S3', 'established'],
    ['RSTO', 'established'],
    ['RSTR', 'established'],
    ['RSTRH', undefined],
    ['SHR', undefined],
    ['OTH', undefined],
  ];
  for (const [state, outcome] of cases) {
    it(`${state} → ${outcome ?? 'unknown'}`, () => assert.equal(CONN_STATE_OUTCOME[state], outcome));
  }
});
