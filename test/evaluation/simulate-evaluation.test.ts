/**
 * End to end on a small simulator capture: an hour of a seeded cluster with four loud attack
 * types after an attack-free warm-up goes through features, training, registry and scoring; each
 * injected attack must reach the alert threshold while it runs (outcomes, not exact scores).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/config/load.js';
import { noAnonymization } from '../../src/flows/anonymizer.js';
import { evaluateSimulation } from '../../src/evaluation/simulate-evaluation.js';
import { silentLogger } from '../../src/observability/logger.js';
import { createRegistry } from '../../src/observability/metrics.js';

test('a simulator capture: every injected attack is detected while it runs', async () => {
  const config = parseConfig({
    store: { kind: 'pglite' },
    anonymization: { enabled: false },
    training: { forecast: { maxTargets: 0 } },
  });
  const result = await evaluateSimulation({
    config,
    logger: silentLogger(),
    registry: createRegistry({ defaultMetrics: false }),
    minutes: 60,
    rate: 5,
    seed: 7,
    types: ['portscan', 'fanout', 'bruteforce', 'ddos'],
    alertThreshold: 0.5,
    blockThreshold: 0.8,
    anonymizer: noAnonymization,
    progress: false,
  });
  assert.equal(result.attacks.length, 4);
  for (const a of result.attacks) {
    assert.equal(a.detected, true, `${a.type} not detected (max threat ${a.maxThreat.toFixed(3)})`);
    assert.ok(
      a.alertAt! <= a.end + 60_000 + result.evaluation.latenessMs,
      `${a.type} alerted after it ended`,
    );
  }
  assert.ok(result.evaluation.training.models.some((m) => m.decision === 'promoted'));
});
