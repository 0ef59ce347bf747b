/** From verdicts to incident observations: parsing, scoring under a policy, merging, alert rules. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertRuleWindows } from '../../../src/controller/incidents/alert-rules.js';
import {
  mergeObservation,
  observationPatch,
  type Observation,
} from '../../../src/controller/incidents/observation.js';
import {
  policyScore,
  predictionWithin,
  resolveCriticality,
} from '../../../src/controller/incidents/scoring.js';
import { parseVerdict } from '../../../src/controller/incidents/verdict-parse.js';
import type { AlertRule } from '../../../src/controller/threatpolicy/crd-types.js';
import { makeVerdict } from '../support/harness.js';
import { pod, policy } from '../support/fixtures.js';

const T0 = Date.parse('2026-01-05T10:00:00Z');

describe('parseVerdict', () => {
  it('accepts a verdict and fills what may be missing', () => {
    const v = makeVerdict({ key: 'shop/api', scoredAt: T0 });
    const { targets: _t, detectors: _d, ...partial } = v;
    const parsed = parseVerdict(JSON.stringify(partial));
    assert.deepEqual(parsed.targets, []);
    assert.deepEqual(parsed.detectors, []);
  });
  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{', /not JSON/],
    ['another version', { ...makeVerdict({ key: 'k' }), version: 2 }, /unsupported version 2/],
    [
      'a score outside [0,1]',
      { ...makeVerdict({ key: 'k' }), scores: { anomaly: 3, impact: 0, confidence: 0, threat: 0 } },
      /scores/,
    ],
    [
      'an entity without kind',
      { ...makeVerdict({ key: 'k' }), entity: { key: 'k', addresses: [] } },
      /entity/,
    ],
  ];
  for (const [name, value, re] of bad) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => parseVerdict(typeof value === 'string' ? value : JSON.stringify(value)),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'verdict-invalid');
          assert.match(err.message, re);
          return true;
        },
      );
    });
  }
});

describe('scoring under a policy', () => {
  it('applies the policy weights and raises impact to the criticality floor', () => {
    const scores = { anomaly: 0.9, impact: 0.1, confidence: 0.5, threat: 0 };
    assert.deepEqual(policyScore(scores, { anomaly: 1, impact: 0, confidence: 0 }, undefined).threat, 0.9);
    const high = policyScore(scores, { anomaly: 0.6, impact: 0.3, confidence: 0.1 }, 'High');
    assert.equal(high.impact, 0.8);
    assert.equal(high.threat, 0.83);
  });

  it('reads criticality from the policy, then pod labels, then the namespace', () => {
    const pods = [
      pod('shop', 'a', { 'foresight.dev/criticality': 'low' }),
      pod('shop', 'b', { 'foresight.dev/criticality': 'high' }),
    ];
    assert.equal(resolveCriticality('Medium', pods, undefined), 'Medium');
    assert.equal(resolveCriticality('Auto', pods, undefined), 'High');
    assert.equal(
      resolveCriticality('Auto', [pod('shop', 'c', {})], { 'foresight.dev/criticality': 'medium' }),
      'Medium',
    );
    assert.equal(resolveCriticality('Auto', [], undefined), undefined);
  });

  it('keeps a forecast only within the policy horizon', () => {
    const v = {
      ...makeVerdict({ key: 'k', scoredAt: T0 }),
      prediction: { kind: 'attack' as const, at: T0 + 600_000, horizonSeconds: 3600, detail: 'd' },
    };
    assert.ok(predictionWithin(v, 3600));
    assert.equal(predictionWithin(v, 300), undefined);
  });
});

function obs(threat: number, scoredAt: number, crossed: Observation['crossed'] = []): Observation {
  return {
    policy: policy('shop', 'guard'),
    namespace: 'shop',
    name: 'guard-x',
    entity: { kind: 'source', key: 'ip:x' },
    verdict: makeVerdict({ key: 'ip:x', scoredAt, addresses: [`203.0.113.${Math.round(threat * 10)}`] }),
    score: { threat, anomaly: threat, impact: 0.5, confidence: 0.5 },
    crossed,
    rulesFired: [],
  };
}

describe('observations', () => {
  it('merges verdicts into the worst score, the latest view and every crossing', () => {
    let m = mergeObservation(undefined, obs(0.9, T0, ['Block']));
    m = mergeObservation(m, obs(0.4, T0 + 1000));
    m = mergeObservation(m, obs(0.8, T0 + 500, ['Block']));
    assert.equal(m.peak.score.threat, 0.9);
    assert.equal(m.latest.verdict.scoredAt, T0 + 1000);
    assert.equal(m.crossedAt.Block, T0 + 500);
    assert.equal(m.count, 3);
    const { status, memo } = observationPatch(m, undefined, undefined);
    assert.deepEqual(status.score, { threat: 0.9, anomaly: 0.9, impact: 0.5, confidence: 0.5, latest: 0.4 });
    assert.equal(status.crossedAt?.Block, new Date(T0 + 500).toISOString());
    assert.equal(status.verdictCount, 3);
    assert.equal(status.firstSeen, new Date(T0).toISOString());
    assert.equal(memo.peak, 0.9);
  });

  it('does not lower the worst score already written, even before the cache shows it', () => {
    const m = mergeObservation(undefined, obs(0.6, T0 + 5000));
    const { status } = observationPatch(m, undefined, { peak: 0.9, count: 4, addresses: ['t4:01020304'] });
    assert.deepEqual(status.score, { latest: 0.6 });
    assert.equal(status.verdictCount, 5);
    assert.equal(status.addresses?.includes('t4:01020304'), true);
  });
});

describe('alert rules', () => {
  const rule: AlertRule = {
    name: 'scan',
    detector: 'isolation-forest',
    feature: 'dst_port_count',
    minScore: 0.8,
    count: 3,
    windowSeconds: 60,
    severity: 'critical',
  };
  it('fires once the count is reached within the window, then counts anew', () => {
    const w = new AlertRuleWindows();
    const at = (dt: number, score = 0.9) =>
      w.observe(
        'shop/guard',
        [rule],
        'ip:x',
        makeVerdict({ key: 'ip:x', scoredAt: T0 + dt, anomaly: score, features: ['dst_port_count'] }),
        0.5,
      );
    assert.deepEqual(at(0), []);
    assert.deepEqual(at(10_000, 0.5), [], 'below minScore does not count');
    assert.deepEqual(at(20_000), []);
    assert.deepEqual(
      at(30_000).map((r) => r.name),
      ['scan'],
    );
    assert.deepEqual(at(40_000), []);
    assert.deepEqual(at(200_000), [], 'old hits fell out of the window');
  });

  it('ignores verdicts whose explanation lacks the feature', () => {
    const w = new AlertRuleWindows();
    const one = { ...rule, count: 1 };
    assert.deepEqual(
      w.observe('p', [one], 'e', makeVerdict({ key: 'e', anomaly: 0.95, features: ['bytes'] }), 0.9),
      [],
    );
  });
});
