import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { azureVnet } from '../../../src/flows/formats/azure-vnet.js';
import { errorOf, fixtureLines, flowsOf, parseAll } from './fixtures.js';

describe('azure-vnet: v4 sample', () => {
  const lines = fixtureLines('azure_vnet_flow_v4.sample');
  const out = parseAll(azureVnet, lines);
  const all = flowsOf(out);

  it('yields one flow per tuple across ACLs and flow groups', () => {
    assert.equal(all.length, 19 + 2);
  });

  it('reads epoch milliseconds and sums an end tuple', () => {
    assert.deepEqual(all[1], {
      ts: 1663146003606,
      src: '10.0.0.6',
      dst: '52.239.184.180',
      srcPort: 23956,
      dstPort: 443,
      proto: 6,
      action: 'allow',
      direction: 'egress',
      packets: 3 + 2,
      bytes: 767 + 1580,
    });
  });

  it('maps flow state D to deny', () => {
    const denied = all.filter((f) => f.action === 'deny');
    assert.equal(denied.length, 9);
    assert.deepEqual(
      denied.map((f) => f.direction),
      Array<string>(9).fill('ingress'),
    );
    assert.equal(denied[0]?.src, '101.33.218.153');
    assert.equal(denied[0]?.dstPort, 22);
  });

  it('rejects an unknown state and a wrong tuple length', () => {
    const badState = lines[1]?.replace(',6,O,E,NX,', ',6,O,Z,NX,') ?? '';
    assert.match(errorOf(azureVnet.createParser().parse(badState)).detail, /state "Z" is not B\|C\|E\|D/);
    const short = lines[1]?.replace(',NX,22,2217,33,0', '') ?? '';
    assert.equal(errorOf(azureVnet.createParser().parse(short)).reason, 'malformed');
  });
});
