/** The action ladder, as named table tests over its inputs. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decideLadder,
  type Eligibility,
  type LadderInput,
} from '../../../src/controller/incidents/ladder.js';
import type { ActionStatus, ActionType, LadderStep } from '../../../src/controller/threatpolicy/crd-types.js';

const T0 = Date.parse('2026-01-05T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const step = (type: ActionType, threshold: number, ttlSeconds = 60, requireApproval = false): LadderStep => ({
  type,
  threshold,
  ttlSeconds,
  requireApproval,
});
const ok: Eligibility = { ok: true };
const blockOk: Eligibility = { ok: true, addresses: ['t4:01020304'], direction: 'Ingress' };

function input(over: Partial<LadderInput>): LadderInput {
  return {
    now: T0,
    mode: 'Enforce',
    steps: [step('Alert', 0.5), step('Block', 0.7)],
    previous: [],
    crossedAt: {},
    approved: [],
    eligibility: { Alert: ok, Block: blockOk, RateLimit: ok, Quarantine: { ok: true, pods: ['p-0'] } },
    ...over,
  };
}

const active = (
  type: ActionType,
  sinceMs: number,
  ttlSeconds = 60,
  extra: Partial<ActionStatus> = {},
): ActionStatus => ({
  type,
  state: 'Active',
  reason: 'ThresholdCrossed',
  message: 'm',
  since: iso(sinceMs),
  appliedAt: iso(sinceMs),
  expiresAt: iso(sinceMs + ttlSeconds * 1000),
  ...extra,
});

interface Case {
  name: string;
  input: LadderInput;
  states: Partial<Record<ActionType, string>>;
  phase: string;
  strongest?: string;
  transitions?: string[];
  requeueAfterMs?: number;
}

const cases: Case[] = [
  {
    name: 'a fresh crossing in Enforce mode applies the steps it reached',
    input: input({ crossedAt: { Alert: T0 - 10, Block: T0 - 10 } }),
    states: { Alert: 'Active', Block: 'Active' },
    phase: 'Mitigated',
    strongest: 'Block',
    transitions: ['Alert:→Active', 'Block:→Active'],
    requeueAfterMs: 60_050,
  },
  {
    name: 'Monitor mode intends enforcement but still alerts',
    input: input({ mode: 'Monitor', crossedAt: { Alert: T0 - 10, Block: T0 - 10 } }),
    states: { Alert: 'Active', Block: 'Intended' },
    phase: 'Open',
    strongest: 'Block (intended)',
  },
  {
    name: 'no crossing, no action',
    input: input({}),
    states: {},
    phase: 'Open',
    strongest: 'None',
    transitions: [],
  },
  {
    name: 'the TTL ends an action, and the incident expires when nothing is left',
    input: input({
      steps: [step('Block', 0.7, 60)],
      previous: [active('Block', T0 - 61_000)],
      crossedAt: { Block: T0 - 61_000 },
    }),
    states: { Block: 'Expired' },
    phase: 'Expired',
    transitions: ['Block:Active→Expired'],
  },
  {
    name: 'an expired step does not fire again on the crossing that fired it',
    input: input({
      steps: [step('Block', 0.7)],
      previous: [{ type: 'Block', state: 'Expired', reason: 'TTL', since: iso(T0 - 1000) }],
      crossedAt: { Block: T0 - 70_000 },
    }),
    states: { Block: 'Expired' },
    phase: 'Expired',
    transitions: [],
  },
  {
    name: 'an expired step fires again on a later crossing',
    input: input({
      steps: [step('Block', 0.7)],
      previous: [{ type: 'Block', state: 'Expired', reason: 'TTL', since: iso(T0 - 1000) }],
      crossedAt: { Block: T0 - 500 },
    }),
    states: { Block: 'Active' },
    phase: 'Mitigated',
    transitions: ['Block:Expired→Active'],
  },
  {
    name: 'a step that needs approval waits for it',
    input: input({ steps: [step('Block', 0.7, 60, true)], crossedAt: { Block: T0 } }),
    states: { Block: 'PendingApproval' },
    phase: 'Open',
    strongest: 'Block (awaiting approval)',
  },
  {
    name: 'an approval applies the waiting step',
    input: input({
      steps: [step('Block', 0.7, 60, true)],
      previous: [
        { type: 'Block', state: 'PendingApproval', since: iso(T0 - 5000), expiresAt: iso(T0 + 55_000) },
      ],
      approved: ['Block'],
      crossedAt: { Block: T0 - 5000 },
    }),
    states: { Block: 'Active' },
    phase: 'Mitigated',
    transitions: ['Block:PendingApproval→Active'],
  },
  {
    name: 'an approval not given within the TTL lapses',
    input: input({
      steps: [step('Block', 0.7, 60, true)],
      previous: [
        { type: 'Block', state: 'PendingApproval', since: iso(T0 - 61_000), expiresAt: iso(T0 - 1000) },
      ],
      crossedAt: { Block: T0 - 61_000 },
    }),
    states: { Block: 'Expired' },
    phase: 'Expired',
  },
  {
    name: 'a release reverts everything in force',
    input: input({
      previous: [active('Alert', T0 - 1000), active('Block', T0 - 1000)],
      crossedAt: { Alert: T0, Block: T0 },
      release: 'Released',
    }),
    states: { Alert: 'Reverted', Block: 'Reverted' },
    phase: 'Released',
    strongest: 'None',
  },
  {
    name: 'a false positive reverts and takes no new action',
    input: input({
      previous: [active('Alert', T0 - 1000)],
      crossedAt: { Alert: T0, Block: T0 },
      release: 'FalsePositive',
    }),
    states: { Alert: 'Reverted' },
    phase: 'Released',
    transitions: ['Alert:Active→Reverted'],
  },
  {
    name: 'an ineligible step is refused with its reason',
    input: input({
      steps: [step('Block', 0.7)],
      crossedAt: { Block: T0 },
      eligibility: { Block: { ok: false, reason: 'CapReached', message: 'cap' } },
    }),
    states: { Block: 'Refused' },
    phase: 'Open',
    transitions: ['Block:→Refused'],
  },
  {
    name: 'a refusal for the same reason is not repeated',
    input: input({
      steps: [step('Block', 0.7)],
      previous: [{ type: 'Block', state: 'Refused', reason: 'CapReached', since: iso(T0 - 2000) }],
      crossedAt: { Block: T0 },
      eligibility: { Block: { ok: false, reason: 'CapReached', message: 'cap' } },
    }),
    states: { Block: 'Refused' },
    phase: 'Open',
    transitions: [],
  },
  {
    name: 'an action in force that becomes ineligible is reverted',
    input: input({
      steps: [step('Block', 0.7)],
      previous: [active('Block', T0 - 1000)],
      eligibility: { Block: { ok: false, reason: 'Allowlisted', message: 'a' } },
    }),
    states: { Block: 'Reverted' },
    phase: 'Open',
  },
  {
    name: 'switching the policy to Monitor reverts enforcement',
    input: input({ mode: 'Monitor', steps: [step('Block', 0.7)], previous: [active('Block', T0 - 1000)] }),
    states: { Block: 'Reverted' },
    phase: 'Open',
  },
  {
    name: 'a step removed from the ladder is reverted',
    input: input({ steps: [step('Alert', 0.5)], previous: [active('Block', T0 - 1000)] }),
    states: { Block: 'Reverted' },
    phase: 'Open',
  },
  {
    name: 'an action in force follows its targets and keeps its times',
    input: input({
      steps: [step('Block', 0.7)],
      previous: [active('Block', T0 - 1000, 60, { addresses: ['t4:01020304'] })],
      eligibility: { Block: { ok: true, addresses: ['t4:01020304', 't4:05060708'], direction: 'Ingress' } },
    }),
    states: { Block: 'Active' },
    phase: 'Mitigated',
    transitions: [],
    requeueAfterMs: 59_050,
  },
];

describe('decideLadder', () => {
  for (const c of cases) {
    it(c.name, () => {
      const out = decideLadder(c.input);
      const states = Object.fromEntries(out.actions.map((a) => [a.type, a.state]));
      assert.deepEqual(states, c.states);
      assert.equal(out.phase, c.phase);
      if (c.strongest) assert.equal(out.strongest, c.strongest);
      if (c.transitions)
        assert.deepEqual(
          out.transitions.map((t) => `${t.type}:${t.from ?? ''}→${t.to}`),
          c.transitions,
        );
      if (c.requeueAfterMs !== undefined) assert.equal(out.requeueAfterMs, c.requeueAfterMs);
    });
  }

  it('stamps an applied step with its TTL and what it acts on', () => {
    const out = decideLadder(input({ crossedAt: { Block: T0 } }));
    const block = out.actions.find((a) => a.type === 'Block');
    assert.deepEqual(block, {
      type: 'Block',
      state: 'Active',
      reason: 'ThresholdCrossed',
      message: 'addresses blocked',
      since: iso(T0),
      appliedAt: iso(T0),
      expiresAt: iso(T0 + 60_000),
      addresses: ['t4:01020304'],
      direction: 'Ingress',
    });
  });

  it('keeps the addresses of an action in force up to date', () => {
    const out = decideLadder(cases.at(-1)!.input);
    assert.deepEqual(out.actions[0]?.addresses, ['t4:01020304', 't4:05060708']);
    assert.equal(out.actions[0]?.appliedAt, iso(T0 - 1000));
  });
});
