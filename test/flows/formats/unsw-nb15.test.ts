import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isMaliciousLabel } from '../../../src/flows/flow-record.js';
import { unswLabel, unswNb15 } from '../../../src/flows/formats/unsw-nb15.js';
import { errorOf, fixtureLines, flowsOf, parseAll, single } from './fixtures.js';

describe('unsw-nb15: first 200 rows with the official header', () => {
  const lines = fixtureLines('unsw_nb15_1_first200.csv');
  const out = parseAll(unswNb15, lines);

  it('skips the header (with its ct_src_ ltm typo) and reads every row', () => {
    assert.ok(lines[0]?.includes('ct_src_ ltm'));
    assert.deepEqual(out[0], { kind: 'header' });
    assert.equal(flowsOf(out).length, 200);
  });

  it('reads the first row', () => {
    assert.deepEqual(single(out[1]), {
      ts: 1421927414000,
      durationMs: 1.055,
      src: '59.166.0.0',
      dst: '149.171.126.6',
      srcPort: 1390,
      dstPort: 53,
      proto: 17,
      action: 'allow',
      bytes: 132 + 164,
      packets: 2 + 2,
      outcome: 'established',
      label: 'normal',
    });
  });

  it('labels attacks attack:<category> so isMaliciousLabel holds', () => {
    const f = single(out[lines.findIndex((l) => l.endsWith(',Exploits,1'))]);
    assert.equal(f.label, 'attack:Exploits');
    assert.equal(f.src, '175.45.176.3');
    assert.equal(f.outcome, 'attempt', 'INT');
    assert.ok(isMaliciousLabel(f.label));
    assert.ok(!isMaliciousLabel('normal'));
  });

  it('reads headerless rows the same way', () => {
    const p = unswNb15.createParser();
    assert.deepEqual(p.parse(lines[1] ?? ''), out[1]);
  });

  it('rejects a wrong column count and a bad label', () => {
    assert.equal(errorOf(unswNb15.createParser().parse('1,2,3')).reason, 'malformed');
    const bad = (lines[1] ?? '').replace(/,0$/, ',7');
    assert.match(errorOf(unswNb15.createParser().parse(bad)).detail, /^label "7"/);
  });
});

describe('unsw-nb15: labels', () => {
  const cases: [string | undefined, string | undefined, string | undefined][] = [
    ['0', '', 'normal'],
    ['1', 'Exploits', 'attack:Exploits'],
    ['1', ' Fuzzers ', 'attack:Fuzzers'],
    ['1', '', 'attack:unknown'],
    ['', '', undefined],
  ];
  for (const [label, cat, expected] of cases) {
    it(`${label}/${cat} → ${expected}`, () => assert.equal(unswLabel(label, cat), expected));
  }
});
