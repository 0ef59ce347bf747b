/** The threat score's parts (threat.ts) and the verdict id, as named table tests. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoringSchema } from '../../../src/config/scoring-schema.js';
import {
  anomalyAlertBar,
  applyOffset,
  confidenceScore,
  highestCriticality,
  impactScore,
  relativeAnomaly,
  withForecast,
} from '../../../src/detector/scoring/threat.js';
import { subjectFor, verdictId } from '../../../src/detector/scoring/verdict-builder.js';

const cfg = scoringSchema.parse({});
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≉ ${b}`);

const impacts: [string, Parameters<typeof impactScore>[0], number][] = [
  [
    'unknown criticality, nothing denied',
    { criticality: undefined, deniedRatio: 0, capacityBreach: false },
    0.5,
  ],
  ['high criticality', { criticality: 'high', deniedRatio: 0, capacityBreach: false }, 0.8],
  [
    'low criticality, all denied',
    { criticality: 'low', deniedRatio: 1, capacityBreach: false },
    1 - 0.9 * 0.5,
  ],
  [
    'medium criticality and a forecast breach',
    { criticality: 'medium', deniedRatio: 0, capacityBreach: true },
    1 - 0.5 * 0.2,
  ],
  [
    'denied ratio out of range is clamped',
    { criticality: 'low', deniedRatio: 7, capacityBreach: false },
    1 - 0.9 * 0.5,
  ],
];
for (const [name, input, expected] of impacts) {
  test(`impact: ${name}`, () => near(impactScore(input, cfg.impact), expected));
}

const confidences: [string, Parameters<typeof confidenceScore>[0], number][] = [
  ['nothing agrees, new entity, unvalidated', { agreement: 0, historyWindows: 0, quality: 0 }, 0],
  ['all agree, long history, perfect models', { agreement: 1, historyWindows: 10_000, quality: 1 }, 1],
  ['half history', { agreement: 1, historyWindows: 180, quality: 1 }, 0.5 + 0.125 + 0.25],
];
for (const [name, input, expected] of confidences) {
  test(`confidence: ${name}`, () => near(confidenceScore(input, cfg.confidence), expected));
}

const relatives: [string, number, number | undefined, number, number][] = [
  ['no baseline: the population anomaly', 0.7, undefined, 0.5, 0.7],
  ['at its usual level: half of it', 0.6, 0.6, 0.5, 0.3],
  ['beyond its usual level', 0.8, 0.6, 1, 0.5],
  ['below its usual level, full weight', 0.3, 0.6, 1, 0],
];
for (const [name, anomaly, baseline, weight, expected] of relatives) {
  test(`relative anomaly: ${name}`, () => near(relativeAnomaly(anomaly, baseline, weight), expected));
}

test('forecast: traffic above the interval raises the anomaly, never past 1', () => {
  near(withForecast(0.2, 0, 0.5), 0.2);
  near(withForecast(0.2, 1, 0.5), 1 - 0.8 * 0.5);
  near(withForecast(1, 1, 1), 1);
});

test('offset: lowers the anomaly, not below 0', () => {
  near(applyOffset(0.7, 0.2), 0.5);
  near(applyOffset(0.1, 0.3), 0);
  near(applyOffset(0.4, -1), 0.4);
});

test('criticality: the highest label wins; unknown values are ignored', () => {
  assert.equal(
    highestCriticality([{ 'foresight.dev/criticality': 'low' }, { 'foresight.dev/criticality': 'High' }]),
    'high',
  );
  assert.equal(highestCriticality([{ 'foresight.dev/criticality': 'critical' }]), 'high');
  assert.equal(
    highestCriticality([{ app: 'x' }, undefined, { 'foresight.dev/criticality': 'urgent' }]),
    undefined,
  );
});

test('the anomaly alert bar reaches the action threshold for an unknown entity', () => {
  // 0.6·a + 0.3·0.5 + 0.1·0.5 = 0.5 → a = 0.5
  near(anomalyAlertBar(cfg), 0.5);
});

test('verdict ids depend on entity, window end and versions, not on their order', () => {
  const a = verdictId('source', 'shop/cart', 1000, { b: 2, a: 1 });
  assert.equal(a, verdictId('source', 'shop/cart', 1000, { a: 1, b: 2 }));
  assert.notEqual(a, verdictId('source', 'shop/cart', 1000, { a: 1, b: 3 }));
  assert.notEqual(a, verdictId('destination', 'shop/cart', 1000, { a: 1, b: 2 }));
  assert.notEqual(a, verdictId('source', 'shop/cart', 2000, { a: 1, b: 2 }));
});

test('verdict subjects use the configured prefix and a safe namespace token', () => {
  const entity = (namespace?: string) => ({
    entity: { kind: 'source' as const, key: 'k', addresses: [], ...(namespace ? { namespace } : {}) },
  });
  assert.equal(subjectFor(entity('shop'), 't1.verdicts'), 't1.verdicts.shop');
  assert.equal(subjectFor(entity(), 'foresight.verdicts'), 'foresight.verdicts.external');
  assert.equal(subjectFor(entity('a.b'), 'x'), 'x.a_b');
});
