import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { getFormat } from '../../src/flows/formats/index.js';
import type { FlowFormat } from '../../src/flows/formats/types.js';
import { parseLines } from '../../src/flows/parse-lines.js';
import { fixtureLines } from './formats/fixtures.js';

describe('parseLines', () => {
  it('splits a message into flows, dead letters with the raw line, and skip counts', () => {
    const lines = fixtureLines('aws_vpc_flow_v2_default.sample');
    const bad = '2 1 eni-1 999.1.1.1 10.0.0.1 1 2 6 1 1 1418530010 1418530070 ACCEPT OK';
    const r = parseLines(getFormat('aws-vpc'), [...lines, bad, ''], { subject: 'flows.aws.3' });
    assert.equal(r.flows.length, 9);
    assert.deepEqual(r.skipped, { nodata: 1, skipdata: 1, blank: 1 });
    assert.deepEqual(r.deadLetters, [
      {
        reason: 'invalid-field',
        detail: 'srcaddr "999.1.1.1" is not an IP address',
        format: 'aws-vpc',
        subject: 'flows.aws.3',
        raw: bad,
      },
    ]);
  });

  it('configures the parser from header lines shipped beside the message', () => {
    const lines = fixtureLines('zeek_conn_tsv_labeled.sample');
    const header = lines.filter((l) => l.startsWith('#'));
    const rows = lines.filter((l) => !l.startsWith('#'));
    const r = parseLines(getFormat('zeek-tsv'), rows, { header });
    assert.equal(r.flows.length, 4);
    assert.equal(r.flows[0]?.label, 'Malicious');
  });

  it('continues a parser across calls', () => {
    const fmt = getFormat('argus-csv');
    const lines = fixtureLines('ctu13_capture20110816_botnet_first20.binetflow.csv');
    const parser = fmt.createParser();
    const a = parseLines(fmt, lines.slice(0, 5), { parser });
    const b = parseLines(fmt, lines.slice(5), { parser });
    assert.equal(a.flows.length + b.flows.length, 20);
    assert.deepEqual(parser.headerLines(), [lines[0]]);
  });

  it('strips a trailing CR but keeps the original bytes on dead letters', () => {
    const r = parseLines(getFormat('foresight-ndjson'), [
      '{"timestamp":1714564800,"src_ip":"10.0.0.1","dst_ip":"10.0.0.2","action":"deny"}\r',
      '{"timestamp":\r',
    ]);
    assert.equal(r.flows[0]?.action, 'deny');
    assert.equal(r.deadLetters[0]?.raw, '{"timestamp":\r');
    assert.equal(r.deadLetters[0]?.reason, 'malformed');
  });

  it('turns a throwing adapter into adapter-exception dead letters and keeps going', () => {
    const ndjson = getFormat('foresight-ndjson');
    const buggy: FlowFormat = {
      ...ndjson,
      createParser: () => {
        const inner = ndjson.createParser();
        return {
          headerLines: () => [],
          parse: (line) => {
            if (line.includes('boom')) throw new TypeError('cannot read properties of undefined');
            return inner.parse(line);
          },
        };
      },
    };
    const good = '{"timestamp":1714564800,"src_ip":"10.0.0.1","dst_ip":"10.0.0.2","action":"allow"}';
    const r = parseLines(buggy, ['boom', good]);
    assert.equal(r.flows.length, 1);
    assert.deepEqual(r.deadLetters, [
      {
        reason: 'adapter-exception',
        detail: 'cannot read properties of undefined',
        format: 'foresight-ndjson',
        raw: 'boom',
      },
    ]);
  });

  it('dead-letters every line when the parser cannot be created', () => {
    const broken: FlowFormat = {
      ...getFormat('calico'),
      createParser: () => {
        throw new Error('no parser');
      },
    };
    const r = parseLines(broken, ['a', 'b']);
    assert.deepEqual(
      r.deadLetters.map((d) => [d.reason, d.raw]),
      [
        ['adapter-exception', 'a'],
        ['adapter-exception', 'b'],
      ],
    );
  });
});
