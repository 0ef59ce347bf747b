/**
 * Where the demo's flows come from, read up to a point in event time: the simulator (a seeded
 * cluster with every attack type, repeated every cycle after an attack-free warm-up), or a flow
 * file in any supported format.
 */
import { openFlowFile, type FlowFile } from '../../flows/flow-file.js';
import type { FlowRecord } from '../../flows/flow-record.js';
import { createSimulator, defaultAttackPlan, type AttackSpec, type Simulator } from '../../sim/index.js';

export interface FlowSource {
  /** Event time of the first flow (known once the source is opened). */
  readonly start: number;
  /** Flows with ts < until, in order; empty when there are none (yet). */
  next(until: number): Promise<FlowRecord[]>;
  /** True once every flow was handed out. */
  readonly done: boolean;
  close(): Promise<void>;
}

export const SIM_CYCLE_MS = 2 * 3_600_000;

/** Every attack type once per cycle, the cycles following an attack-free span (the training span). */
export function cyclePlan(start: number, cycles: number): AttackSpec[] {
  const out: AttackSpec[] = [];
  for (let c = 0; c < cycles; c++) {
    const plan = defaultAttackPlan(start + c * SIM_CYCLE_MS, SIM_CYCLE_MS, { warmupFraction: 0.1 });
    out.push(...plan.map((a) => ({ ...a, id: `${a.id ?? a.type}-c${c + 1}` })));
  }
  return out;
}

export interface SimulatorSourceOptions {
  start: number;
  /** Attack-free span at the start (what the models train on). */
  quietMs: number;
  /** Simulated hours after the quiet span. */
  hours: number;
  rate: number;
  seed: number;
}

export function simulatorSource(options: SimulatorSourceOptions): FlowSource & { sim: Simulator } {
  const attacksFrom = options.start + options.quietMs;
  const end = attacksFrom + options.hours * 3_600_000;
  const sim = createSimulator({
    seed: options.seed,
    start: options.start,
    rate: options.rate,
    attacks: cyclePlan(attacksFrom, Math.ceil((options.hours * 3_600_000) / SIM_CYCLE_MS)),
  });
  const gen = sim.flows(end);
  let pending: FlowRecord | undefined;
  let done = false;
  return {
    sim,
    start: options.start,
    get done() {
      return done;
    },
    next(until) {
      const out: FlowRecord[] = [];
      if (pending) {
        if (pending.ts >= until) return Promise.resolve(out);
        out.push(pending);
        pending = undefined;
      }
      for (;;) {
        const r = gen.next();
        if (r.done) {
          done = true;
          break;
        }
        if (r.value.ts >= until) {
          pending = r.value;
          break;
        }
        out.push(r.value);
      }
      return Promise.resolve(out);
    },
    close: () => Promise.resolve(),
  };
}

export async function fileSource(path: string, format?: string): Promise<FlowSource & { format: string }> {
  const file: FlowFile = await openFlowFile(path, format ? { format } : {});
  const batches = file.batches()[Symbol.asyncIterator]();
  let carry: FlowRecord[] = [];
  let done = false;
  // The first batch tells where event time starts.
  const first = await batches.next();
  if (first.done) done = true;
  else carry = [...first.value.flows].sort((a, b) => a.ts - b.ts);
  const start = carry[0]?.ts ?? Date.now();
  return {
    format: file.format.name,
    start,
    get done() {
      return done && carry.length === 0;
    },
    async next(until) {
      while (!done && (carry.length === 0 || carry[carry.length - 1]!.ts < until)) {
        const r = await batches.next();
        if (r.done) {
          done = true;
          break;
        }
        carry.push(...r.value.flows);
        carry.sort((a, b) => a.ts - b.ts);
      }
      const cut = carry.findIndex((f) => f.ts >= until);
      const out = cut < 0 ? carry : carry.slice(0, cut);
      carry = cut < 0 ? [] : carry.slice(cut);
      return out;
    },
    close: () => file.close(),
  };
}
