import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { azureNsg } from '../../../src/flows/formats/azure-nsg.js';
import type { LineOutcome } from '../../../src/flows/formats/types.js';
import { errorOf, fixtureLines, parseAll } from './fixtures.js';

function flows(o: LineOutcome | undefined) {
  assert.ok(o && o.kind === 'flows', JSON.stringify(o));
  return o.flows;
}

describe('azure-nsg: v2 sample', () => {
  const lines = fixtureLines('azure_nsg_flow_v2.sample');
  const out = parseAll(azureNsg, lines);

  it('yields one flow per tuple', () => {
    assert.deepEqual(
      out.map((o) => (o.kind === 'flows' ? o.flows.length : o.kind)),
      [7, 4, 1],
    );
  });

  it('reads a deny tuple with empty counters', () => {
    assert.deepEqual(flows(out[0])[0], {
      ts: 1542110402000,
      src: '192.0.2.190',
      dst: '10.5.16.4',
      srcPort: 28746,
      dstPort: 443,
      proto: 17,
      action: 'deny',
      direction: 'ingress',
    });
  });

  it('sums both directions of an allow tuple with counters', () => {
    const f = flows(out[0])[5];
    assert.equal(f?.src, '10.5.16.4');
    assert.equal(f?.dst, '203.0.113.115');
    assert.equal(f?.proto, 6);
    assert.equal(f?.action, 'allow');
    assert.equal(f?.direction, 'egress');
    assert.equal(f?.packets, 30 + 24);
    assert.equal(f?.bytes, 16978 + 14008);
  });

  it('reads the {"records":[...]} blob wrapper', () => {
    const blob = JSON.stringify({ records: lines.map((l) => JSON.parse(l) as unknown) });
    const o = azureNsg.createParser().parse(blob);
    assert.equal(flows(o).length, 12);
  });

  it('reads version 1 tuples (8 fields)', () => {
    const rec = {
      properties: {
        Version: 1,
        flows: [
          { rule: 'r', flows: [{ mac: 'm', flowTuples: ['1542110402,10.0.0.1,10.0.0.2,1,80,T,O,A'] }] },
        ],
      },
    };
    const f = flows(azureNsg.createParser().parse(JSON.stringify(rec)))[0];
    assert.equal(f?.dstPort, 80);
    assert.equal(f?.bytes, undefined);
  });

  it('dead-letters the whole record when one tuple is bad, naming the tuple', () => {
    const bad = lines[2]?.replace('1.128.0.1', '1.128.0.999') ?? '';
    const e = errorOf(azureNsg.createParser().parse(bad));
    assert.equal(e.reason, 'invalid-field');
    assert.equal(
      e.detail,
      'properties.flows[0].flows[0].flowTuples[0].dstIP "1.128.0.999" is not an IP address',
    );
  });

  it('rejects a decision other than A|D and broken JSON', () => {
    const bad = lines[2]?.replace(',T,O,A,E,', ',T,O,X,E,') ?? '';
    assert.match(errorOf(azureNsg.createParser().parse(bad)).detail, /decision "X" is not A\|D/);
    assert.equal(errorOf(azureNsg.createParser().parse('{"properties":')).reason, 'malformed');
  });
});
