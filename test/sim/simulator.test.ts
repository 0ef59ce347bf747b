import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ForesightError } from '../../src/errors.js';
import { createSimulator, defaultAttackPlan, defaultTopology } from '../../src/sim/index.js';
import { HOUR, MINUTE, MONDAY, collect, digest, ndjson } from './support.js';

const plan = () => defaultAttackPlan(MONDAY, 2 * HOUR);

describe('sim/simulator', () => {
  it('is deterministic: same seed, byte-identical output; another seed, different output', () => {
    const run = (seed: number) =>
      digest(createSimulator({ seed, start: MONDAY, rate: 50, attacks: plan() }).flows(MONDAY + 2 * HOUR));
    const a = run(7);
    const b = run(7);
    const c = run(8);
    assert.ok(a.count > 10_000);
    assert.equal(a.sha, b.sha);
    assert.notEqual(a.sha, c.sha);
  });

  it('each flows() call starts over, and a shorter run is a prefix of a longer one', () => {
    const sim = createSimulator({ seed: 3, start: MONDAY, rate: 100, attacks: plan() });
    const short = ndjson(sim.flows(MONDAY + 40 * MINUTE));
    const long = ndjson(sim.flows(MONDAY + 80 * MINUTE));
    assert.ok(short.length > 1000 && long.length > short.length);
    assert.deepEqual(long.slice(0, short.length), short);
    assert.ok((JSON.parse(long[short.length] as string) as { ts: number }).ts >= MONDAY + 40 * MINUTE);
  });

  it('adding an attack leaves the normal traffic unchanged', () => {
    const normal = (attacks: ReturnType<typeof plan>) =>
      digest(
        collect(
          createSimulator({ seed: 5, start: MONDAY, rate: 50, attacks }).flows(MONDAY + HOUR),
          (f) => f.label === 'normal',
        ),
      ).sha;
    assert.equal(normal([]), normal(plan()));
  });

  it('emits timestamps in non-decreasing order within [start, until)', () => {
    const sim = createSimulator({
      seed: 11,
      start: MONDAY + 14 * HOUR,
      rate: 300,
      attacks: defaultAttackPlan(MONDAY + 14 * HOUR, HOUR),
    });
    let last = -Infinity;
    let n = 0;
    for (const f of sim.flows(MONDAY + 15 * HOUR)) {
      assert.ok(f.ts >= last, `flow ${n} at ${f.ts} precedes ${last}`);
      assert.ok(f.ts >= MONDAY + 14 * HOUR && f.ts < MONDAY + 15 * HOUR);
      assert.ok(Number.isInteger(f.ts));
      last = f.ts;
      n++;
    }
    assert.ok(n > 100_000);
  });

  it('follows the daily cycle: afternoon peak hour more than twice the night hour', () => {
    const sim = createSimulator({ seed: 2, start: MONDAY, rate: 10 });
    const perHour = new Array<number>(24).fill(0);
    for (const f of sim.flows(MONDAY + 24 * HOUR)) perHour[Math.floor((f.ts - MONDAY) / HOUR)]!++;
    const peak = Math.max(...perHour);
    const peakHour = perHour.indexOf(peak);
    assert.ok(peakHour >= 12 && peakHour <= 18, `peak at hour ${peakHour}`);
    assert.ok(perHour[15]! > 2 * perHour[3]!, `15h ${perHour[15]} vs 3h ${perHour[3]}`);
  });

  it('follows the weekly cycle: a Saturday is quieter than a Monday', () => {
    const day = (start: number) =>
      digest(createSimulator({ seed: 2, start, rate: 5 }).flows(start + 24 * HOUR)).count;
    const monday = day(MONDAY);
    const saturday = day(MONDAY + 5 * 24 * HOUR);
    assert.ok(saturday < 0.8 * monday, `saturday ${saturday} vs monday ${monday}`);
  });

  it('the rate knob is the normal flows/s at the weekday peak', () => {
    const at = MONDAY + 15 * HOUR - 5 * MINUTE;
    const n = digest(createSimulator({ seed: 4, start: at, rate: 150 }).flows(at + 10 * MINUTE)).count;
    const perSecond = n / 600;
    assert.ok(perSecond > 150 * 0.8 && perSecond < 150 * 1.2, `${perSecond} flows/s`);
  });

  it('has a few denied flows per hour from the misconfigured client, labelled normal', () => {
    const flows = collect(
      createSimulator({ seed: 9, start: MONDAY, rate: 20 }).flows(MONDAY + 24 * HOUR),
      (f) => f.action === 'deny',
    );
    assert.ok(flows.length >= 24 && flows.length <= 24 * 10, `${flows.length} denied in a day`);
    for (const f of flows) {
      assert.equal(f.label, 'normal');
      assert.equal(f.outcome, 'attempt');
      assert.equal(f.srcK8s?.workload, 'cart');
      assert.equal(f.dstK8s?.workload, 'postgres');
    }
  });

  it('identities() covers every pod, and flows carry the identities it maps', () => {
    const sim = createSimulator({ seed: 1, start: MONDAY + 12 * HOUR, rate: 200 });
    const ids = sim.identities();
    for (const pod of sim.cluster().pods) {
      assert.ok(pod.ip.startsWith('10.244.'), pod.ip);
      assert.deepEqual(ids.get(pod.ip), pod.k8s);
    }
    for (const w of sim.cluster().workloads.values()) assert.ok(w.serviceIp.startsWith('10.'), w.serviceIp);
    assert.equal(sim.cluster().workloads.get('kube-system/coredns')?.serviceIp, '10.96.0.10');
    const seenPods = new Set<string>();
    for (const f of sim.flows(MONDAY + 12 * HOUR + 10 * MINUTE)) {
      for (const [ip, k8s] of [
        [f.src, f.srcK8s],
        [f.dst, f.dstK8s],
      ] as const) {
        if (ip.startsWith('10.244.')) {
          seenPods.add(ip);
          assert.ok(ids.has(ip), `pod address ${ip} missing from identities()`);
          assert.equal(k8s, ids.get(ip));
        } else {
          assert.equal(k8s, undefined);
        }
      }
    }
    assert.equal(seenPods.size, sim.cluster().pods.length, 'every pod shows up in ten minutes of traffic');
  });

  it('emitK8s: false leaves identities off the flows', () => {
    const flows = collect(
      createSimulator({ seed: 1, start: MONDAY, rate: 100, emitK8s: false }).flows(MONDAY + MINUTE),
    );
    assert.ok(flows.length > 100);
    assert.ok(flows.every((f) => f.srcK8s === undefined && f.dstK8s === undefined));
  });

  it('labels every flow normal or attack:<type>', () => {
    const sim = createSimulator({ seed: 6, start: MONDAY, rate: 30, attacks: plan() });
    const labels = new Set(collect(sim.flows(MONDAY + 2 * HOUR)).map((f) => f.label));
    assert.deepEqual([...labels].sort(), [
      'attack:beacon',
      'attack:bruteforce',
      'attack:ddos',
      'attack:exfil-burst',
      'attack:exfil-slow',
      'attack:fanout',
      'attack:lateral',
      'attack:portscan',
      'normal',
    ]);
  });

  const invalid: { name: string; code: string; make: () => unknown }[] = [
    {
      name: 'zero rate',
      code: 'sim-invalid-option',
      make: () => createSimulator({ seed: 1, start: MONDAY, rate: 0 }),
    },
    {
      name: 'non-integer seed',
      code: 'sim-invalid-option',
      make: () => createSimulator({ seed: 1.5, start: MONDAY, rate: 1 }),
    },
    {
      name: 'bad start',
      code: 'sim-invalid-option',
      make: () => createSimulator({ seed: 1, start: new Date('nope'), rate: 1 }),
    },
    {
      name: 'unknown attacker',
      code: 'sim-unknown-entity',
      make: () =>
        createSimulator({
          seed: 1,
          start: MONDAY,
          rate: 1,
          attacks: [{ type: 'beacon', start: MONDAY, durationMs: 1, attacker: 'shop/nope' }],
        }),
    },
    {
      name: 'duplicate attack id',
      code: 'sim-invalid-attack',
      make: () =>
        createSimulator({
          seed: 1,
          start: MONDAY,
          rate: 1,
          attacks: [
            { id: 'x', type: 'beacon', start: MONDAY, durationMs: 1 },
            { id: 'x', type: 'ddos', start: MONDAY, durationMs: 1 },
          ],
        }),
    },
    {
      name: 'zero intensity',
      code: 'sim-invalid-attack',
      make: () =>
        createSimulator({
          seed: 1,
          start: MONDAY,
          rate: 1,
          attacks: [{ type: 'ddos', start: MONDAY, durationMs: 1, intensity: 0 }],
        }),
    },
    {
      name: 'edge to an unknown workload',
      code: 'sim-invalid-topology',
      make: () => {
        const topology = defaultTopology();
        topology.edges.push({ ...topology.edges[0]!, to: 'shop/ghost' });
        return createSimulator({ seed: 1, start: MONDAY, rate: 1, topology });
      },
    },
  ];
  for (const c of invalid) {
    it(`rejects ${c.name} with ${c.code}`, () => {
      assert.throws(c.make, (err: unknown) => err instanceof ForesightError && err.code === c.code);
    });
  }
});
