import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForesightError } from '../../src/errors.js';
import { ATTACK_TYPES, TYPICAL_DURATION_MS, defaultAttackPlan } from '../../src/sim/index.js';
import { HOUR, MINUTE, MONDAY } from './support.js';

const startOf = (s: { start: Date | number }) => (s.start instanceof Date ? s.start.getTime() : s.start);

describe('sim/attack-plan', () => {
  const spans = [
    { name: '10 minutes', span: 10 * MINUTE },
    { name: '2 hours', span: 2 * HOUR },
    { name: '1 day', span: 24 * HOUR },
  ];
  for (const { name, span } of spans) {
    it(`schedules every type once, in order, inside the span after the warm-up (${name})`, () => {
      const plan = defaultAttackPlan(new Date(MONDAY), span);
      assert.deepEqual([...plan.map((p) => p.type)].sort(), [...ATTACK_TYPES].sort());
      let previousEnd = MONDAY + span / 4;
      for (const p of plan) {
        const start = startOf(p);
        assert.ok(start >= previousEnd, `${p.type} overlaps the previous attack`);
        assert.ok(p.durationMs > 0 && p.durationMs <= TYPICAL_DURATION_MS[p.type]);
        previousEnd = start + p.durationMs;
      }
      assert.ok(previousEnd <= MONDAY + span);
      assert.equal(new Set(plan.map((p) => p.id)).size, plan.length);
    });
  }

  it('a long span gives each attack its typical duration', () => {
    for (const p of defaultAttackPlan(MONDAY, 7 * 24 * HOUR))
      assert.equal(p.durationMs, TYPICAL_DURATION_MS[p.type]);
  });

  it('schedules only the requested types, with no warm-up when asked', () => {
    const plan = defaultAttackPlan(MONDAY, HOUR, { types: ['ddos', 'beacon'], warmupFraction: 0 });
    assert.deepEqual(
      plan.map((p) => p.type),
      ['beacon', 'ddos'],
    );
    assert.ok(startOf(plan[0]!) < MONDAY + 10 * MINUTE);
    assert.deepEqual(defaultAttackPlan(MONDAY, HOUR, { types: [] }), []);
  });

  const invalid = [
    { name: 'zero span', make: () => defaultAttackPlan(MONDAY, 0) },
    { name: 'bad start', make: () => defaultAttackPlan(NaN, HOUR) },
    { name: 'warm-up of 1', make: () => defaultAttackPlan(MONDAY, HOUR, { warmupFraction: 1 }) },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name}`, () => {
      assert.throws(
        c.make,
        (err: unknown) => err instanceof ForesightError && err.code === 'sim-invalid-option',
      );
    });
  }
});
