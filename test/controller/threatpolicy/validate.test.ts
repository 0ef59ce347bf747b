/** Policy checks the CRD schema cannot express on Kubernetes 1.20. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validatePolicy } from '../../../src/controller/threatpolicy/validate.js';
import { policy } from '../support/fixtures.js';

describe('validatePolicy', () => {
  const cases: [string, Parameters<typeof policy>[2], RegExp[]][] = [
    ['a sound policy', {}, []],
    [
      'an invalid CIDR the pattern let through',
      { allowlist: { cidrs: ['10.0.0.0/8', '300.1.1.1/8'] } },
      [/spec\.allowlist\.cidrs\[1\]/],
    ],
    ['all weights zero', { weights: { anomaly: 0, impact: 0, confidence: 0 } }, [/spec\.weights/]],
    [
      'bandwidth on a step that is not RateLimit, below the incident threshold',
      {
        incidentThreshold: 0.6,
        actions: [
          {
            type: 'Block',
            threshold: 0.5,
            ttlSeconds: 60,
            requireApproval: false,
            rateLimit: { ingress: '1M' },
          },
        ],
      },
      [/spec\.actions\[0\]\.rateLimit/, /spec\.actions\[0\]\.threshold/],
    ],
    [
      'a quarantine step with a cap of zero',
      {
        caps: { maxQuarantinedPods: 0, maxBlockedSources: 5 },
        actions: [{ type: 'Quarantine', threshold: 0.9, ttlSeconds: 60, requireApproval: false }],
      },
      [/spec\.caps\.maxQuarantinedPods/],
    ],
  ];
  for (const [name, spec, want] of cases) {
    it(name, () => {
      const problems = validatePolicy(policy('shop', 'p', spec).spec);
      assert.equal(problems.length, want.length, problems.join('\n'));
      want.forEach((re, i) => assert.match(problems[i] ?? '', re));
    });
  }
});
