import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { FlowRecord } from '../../src/flows/flow-record.js';
import {
  ATTACK_TYPES,
  createSimulator,
  defaultAttackPlan,
  type AttackLabel,
  type AttackType,
} from '../../src/sim/index.js';
import { HOUR, MINUTE, MONDAY, collect, distinct, interArrivalCv } from './support.js';

const START = MONDAY + 12 * HOUR;
const SPAN = 2 * HOUR;

interface Run {
  labels: Map<AttackType, AttackLabel>;
  attack: Map<AttackType, FlowRecord[]>;
  /** Normal traffic before the first attack: who talked to whom. */
  normalPeers: Map<string, Set<string>>;
  /** Every external address normal traffic uses, over the whole run. */
  normalExternal: Set<string>;
  normalFlowsPerSecond: number;
}

function simulate(): Run {
  const sim = createSimulator({ seed: 21, start: START, rate: 50, attacks: defaultAttackPlan(START, SPAN) });
  const labels = new Map(sim.labels(START + SPAN).map((l) => [l.type, l]));
  const firstAttack = Math.min(...[...labels.values()].map((l) => l.start));
  const attack = new Map<AttackType, FlowRecord[]>();
  const normalPeers = new Map<string, Set<string>>();
  const normalExternal = new Set<string>();
  let normal = 0;
  for (const f of sim.flows(START + SPAN)) {
    if (f.label === 'normal') {
      normal++;
      if (!f.src.startsWith('10.')) normalExternal.add(f.src);
      if (!f.dst.startsWith('10.')) normalExternal.add(f.dst);
      if (f.ts < firstAttack) {
        let peers = normalPeers.get(f.src);
        if (!peers) normalPeers.set(f.src, (peers = new Set()));
        peers.add(f.dst);
      }
      continue;
    }
    const type = f.label?.replace(/^attack:/, '') as AttackType;
    const list = attack.get(type) ?? [];
    list.push(f);
    attack.set(type, list);
  }
  return { labels, attack, normalPeers, normalExternal, normalFlowsPerSecond: normal / (SPAN / 1000) };
}

describe('sim/attacks', () => {
  let run: Run;
  before(() => {
    run = simulate();
  });
  const flowsOf = (type: AttackType): FlowRecord[] => run.attack.get(type) ?? [];
  const labelOf = (type: AttackType): AttackLabel => run.labels.get(type) as AttackLabel;

  it('every attack type is present, labelled, and counted exactly by labels()', () => {
    for (const type of ATTACK_TYPES) {
      const label = labelOf(type);
      assert.ok(label, `no label for ${type}`);
      assert.equal(label.label, `attack:${type}`);
      assert.ok(flowsOf(type).length > 0, `no flows for ${type}`);
      assert.equal(label.flows, flowsOf(type).length, `${type}: labels() count`);
    }
  });

  it('every attack flow lies inside its attack window and comes from its attackers', () => {
    for (const type of ATTACK_TYPES) {
      const label = labelOf(type);
      const attackers = new Set(label.attackers);
      for (const f of flowsOf(type)) {
        assert.ok(
          f.ts >= label.start && f.ts < label.end,
          `${type} flow at ${f.ts} outside ${label.start}–${label.end}`,
        );
        assert.ok(attackers.has(f.src), `${type} flow from ${f.src}`);
      }
    }
  });

  it('windows do not overlap and leave the first quarter attack-free', () => {
    const windows = [...run.labels.values()].sort((a, b) => a.start - b.start);
    assert.ok((windows[0] as AttackLabel).start >= START + SPAN / 4);
    for (let i = 1; i < windows.length; i++)
      assert.ok((windows[i] as AttackLabel).start >= (windows[i - 1] as AttackLabel).end);
  });

  it('port scan: one source, many destination ports on a few hosts, mostly SYN-only or rejected', () => {
    const flows = flowsOf('portscan');
    assert.equal(distinct(flows.map((f) => f.src)), 1);
    assert.ok(distinct(flows.map((f) => f.dst)) <= 3);
    assert.ok(distinct(flows.map((f) => f.dstPort)) >= 500, `${distinct(flows.map((f) => f.dstPort))} ports`);
    const failed = flows.filter((f) => f.outcome === 'attempt' || f.outcome === 'rejected').length;
    assert.ok(failed / flows.length > 0.95);
  });

  it('fan-out: one source, one port, many hosts, mostly unanswered', () => {
    const flows = flowsOf('fanout');
    assert.equal(distinct(flows.map((f) => f.src)), 1);
    assert.deepEqual([...new Set(flows.map((f) => f.dstPort))], [25]);
    assert.ok(distinct(flows.map((f) => f.dst)) >= 0.95 * flows.length && flows.length >= 1000);
    assert.ok(flows.filter((f) => f.outcome === 'attempt').length / flows.length > 0.8);
    assert.equal(flows[0]?.srcK8s?.workload, 'catalog', 'a compromised pod');
  });

  it('brute force: many short connections to port 22 from one source', () => {
    const flows = flowsOf('bruteforce');
    assert.ok(flows.length >= 300);
    assert.equal(distinct(flows.map((f) => f.src)), 1);
    assert.ok(
      flows.every(
        (f) => f.dstPort === 22 && (f.durationMs ?? Infinity) < 30_000 && (f.bytes ?? Infinity) < 20_000,
      ),
    );
    assert.equal(flows[0]?.dstK8s?.workload, 'bastion');
  });

  it('beaconing: periodic small connections to one external address, low inter-arrival variation', () => {
    const flows = flowsOf('beacon');
    assert.ok(flows.length >= 10);
    assert.equal(distinct(flows.map((f) => f.dst)), 1);
    assert.ok(!run.normalExternal.has(flows[0]!.dst), 'C&C address is not used by normal traffic');
    assert.ok(flows.every((f) => (f.bytes ?? Infinity) < 2000));
    const cv = interArrivalCv(flows.map((f) => f.ts));
    assert.ok(cv < 0.1, `CV ${cv}`);
    // Contrast: the cluster's Poisson request traffic has CV ≈ 1.
    const normalCv = interArrivalCv(
      collect(createSimulator({ seed: 1, start: START, rate: 5 }).flows(START + 10 * MINUTE)).map(
        (f) => f.ts,
      ),
    );
    assert.ok(normalCv > 0.5, `normal CV ${normalCv}`);
  });

  for (const type of ['exfil-slow', 'exfil-burst'] as const) {
    it(`${type}: large outbound bytes from a pod to a new external address`, () => {
      const flows = flowsOf(type);
      const label = labelOf(type);
      assert.equal(distinct(flows.map((f) => f.dst)), 1);
      assert.equal(flows[0]!.dst, label.targets[0]);
      assert.ok(!run.normalExternal.has(flows[0]!.dst), 'drop address is new');
      assert.ok(flows.every((f) => f.direction === 'egress' && f.srcK8s !== undefined));
      const total = flows.reduce((a, f) => a + (f.bytes ?? 0), 0);
      assert.ok(total > 20_000_000, `${total} bytes`);
      assert.ok(total / flows.length > 500_000, 'each flow is large');
    });
  }

  it('exfil-burst comes in bursts, exfil-slow steadily', () => {
    assert.ok(interArrivalCv(flowsOf('exfil-burst').map((f) => f.ts)) > 1.5);
    assert.ok(interArrivalCv(flowsOf('exfil-slow').map((f) => f.ts)) < 0.5);
  });

  it('lateral movement: a compromised pod reaches many pods and ports it never talked to', () => {
    const flows = flowsOf('lateral');
    const attacker = labelOf('lateral').attacker;
    const usual = run.normalPeers.get(attacker) ?? new Set<string>();
    assert.ok(usual.size > 0, 'the attacker pod had normal traffic before');
    const fresh = new Set(flows.map((f) => f.dst).filter((d) => !usual.has(d)));
    assert.ok(fresh.size >= 8, `${fresh.size} new peers`);
    assert.ok(flows.every((f) => f.dst.startsWith('10.244.') && !usual.has(f.dst)));
    assert.ok(distinct(flows.map((f) => f.dstPort)) >= 10);
    assert.ok(flows.some((f) => f.action === 'deny'));
  });

  it('DDoS: many external sources flood one service far above its normal rate', () => {
    const flows = flowsOf('ddos');
    const label = labelOf('ddos');
    assert.ok(distinct(flows.map((f) => f.src)) >= 200);
    assert.ok(flows.every((f) => f.dstK8s?.workload === 'ingress-nginx' && f.direction === 'ingress'));
    const perSecond = flows.length / ((label.end - label.start) / 1000);
    assert.ok(perSecond > run.normalFlowsPerSecond, `${perSecond}/s vs normal ${run.normalFlowsPerSecond}/s`);
  });

  it('honours explicit attacker, target, port and intensity', () => {
    const sim = createSimulator({
      seed: 1,
      start: START,
      rate: 5,
      attacks: [
        {
          type: 'bruteforce',
          start: START,
          durationMs: 10 * MINUTE,
          attacker: '203.0.113.9',
          target: 'shop/postgres',
          port: 5432,
          intensity: 2,
        },
        {
          type: 'fanout',
          start: START,
          durationMs: 5 * MINUTE,
          attacker: 'shop/redis',
          target: '10.244.0.0/16',
          port: 6379,
        },
      ],
    });
    const flows = collect(sim.flows(START + 10 * MINUTE), (f) => f.label !== 'normal');
    const brute = flows.filter((f) => f.label === 'attack:bruteforce');
    assert.ok(
      brute.every((f) => f.src === '203.0.113.9' && f.dstPort === 5432 && f.dstK8s?.workload === 'postgres'),
    );
    assert.ok(brute.length > 1.5 * 1.5 * 600 * 0.8, `${brute.length} at intensity 2`);
    const worm = flows.filter((f) => f.label === 'attack:fanout');
    assert.ok(
      worm.every((f) => f.srcK8s?.workload === 'redis' && f.dst.startsWith('10.244.') && f.dstPort === 6379),
    );
    const [bruteLabel, wormLabel] = sim.labels();
    assert.equal(bruteLabel?.attacker, '203.0.113.9');
    assert.equal(wormLabel?.attackerK8s?.workload, 'redis');
    assert.equal(wormLabel?.target, '10.244.0.0/16:6379');
  });

  it('labels() clips windows to the simulated span', () => {
    const sim = createSimulator({
      seed: 1,
      start: START,
      rate: 1,
      attacks: [{ type: 'beacon', start: START - 10 * MINUTE, durationMs: 30 * MINUTE }],
    });
    const [label] = sim.labels(START + 10 * MINUTE);
    assert.equal(label?.start, START);
    assert.equal(label?.end, START + 10 * MINUTE);
    assert.equal(
      label?.flows,
      collect(sim.flows(START + 10 * MINUTE), (f) => f.label === 'attack:beacon').length,
    );
    assert.ok((label?.flows ?? 0) >= 18);
  });
});
