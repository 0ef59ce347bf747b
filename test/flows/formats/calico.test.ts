import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calico, workloadFromAggr } from '../../../src/flows/formats/calico.js';
import { errorOf, fixtureLines, parseAll, single } from './fixtures.js';

describe('calico: flow log sample', () => {
  const lines = fixtureLines('calico_enterprise_flowlog.sample');
  const out = parseAll(calico, lines);

  it('reads the denied flow with both workload identities', () => {
    assert.deepEqual(single(out[0]), {
      ts: 1659621542000,
      src: '10.48.116.157',
      dst: '10.48.127.224',
      dstPort: 5050,
      proto: 6,
      action: 'deny',
      bytes: 300,
      packets: 5,
      direction: 'ingress',
      srcK8s: { namespace: 'default', pod: 'multitool', workload: 'multitool', labels: { run: 'multitool' } },
      dstK8s: {
        namespace: 'hipstershop',
        pod: 'checkoutservice-598d5b586d-wsvmz',
        workload: 'checkoutservice',
        labels: { app: 'checkoutservice', 'pod-template-hash': '598d5b586d', tenant: 'hipstershop' },
      },
    });
  });

  it('skips aggregated records that have no addresses', () => {
    const aggregated = lines[0]?.replace('"source_ip":"10.48.116.157"', '"source_ip":"-"') ?? '';
    assert.deepEqual(calico.createParser().parse(aggregated), { kind: 'skip', reason: 'calico-aggregated' });
  });

  it('dead-letters Felix syslog lines as unknown-format', () => {
    const felix = fixtureLines('calico_felix_policy_syslog.sample');
    const e = errorOf(calico.createParser().parse(felix[0] ?? ''));
    assert.equal(e.reason, 'unknown-format');
    assert.equal(calico.sniff(felix), 0);
  });

  it('names an invalid action', () => {
    const bad = lines[0]?.replace('"action":"deny"', '"action":"pass"') ?? '';
    assert.match(errorOf(calico.createParser().parse(bad)).detail, /^action "pass"/);
  });
});

describe('calico: workloadFromAggr', () => {
  const cases: [string, Record<string, string> | undefined, string][] = [
    ['checkoutservice-598d5b586d-*', { 'pod-template-hash': '598d5b586d' }, 'checkoutservice'],
    ['checkoutservice-598d5b586d-*', undefined, 'checkoutservice-598d5b586d'],
    ['web-*', undefined, 'web'],
    ['multitool', undefined, 'multitool'],
  ];
  for (const [aggr, labels, expected] of cases) {
    it(`${aggr} → ${expected}`, () => assert.equal(workloadFromAggr(aggr, labels), expected));
  }
});
