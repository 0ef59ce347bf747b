/**
 * The simulator: a seeded, lazy source of FlowRecords for a simulated Kubernetes cluster with
 * injected, labelled attacks. `flows(until)` is a fresh generator each call (same seed, same
 * records), `identities()` is the static enrichment map, `labels()` the attacks' ground truth.
 */
import { ForesightError } from '../errors.js';
import type { FlowRecord, K8sIdentity } from '../flows/flow-record.js';
import { bruteforce, ddos } from './attacks/access.js';
import { beacon, exfilBurst, exfilSlow } from './attacks/covert.js';
import { fanout, lateral, portscan } from './attacks/recon.js';
import { resolveAttack } from './attacks/resolve.js';
import type {
  AttackContext,
  AttackGenerator,
  AttackLabel,
  AttackSpec,
  AttackType,
  ResolvedAttack,
} from './attacks/types.js';
import { attackLabel } from './attacks/types.js';
import { buildCluster, identityMap, type ClusterModel } from './cluster.js';
import type { ShapeOptions } from './flow-shapes.js';
import { mergeStreams } from './merge.js';
import { deniedFlows, requestFlows, scrapeFlows, validateTraffic } from './normal-traffic.js';
import { Rng } from './random.js';
import { defaultTopology, type Topology } from './topology.js';

const GENERATORS: Readonly<Record<AttackType, AttackGenerator>> = {
  portscan,
  fanout,
  bruteforce,
  beacon,
  'exfil-slow': exfilSlow,
  'exfil-burst': exfilBurst,
  lateral,
  ddos,
};

export interface SimulatorOptions {
  /** Any integer; the same seed (and options) gives byte-identical output. */
  seed: number;
  start: Date | number;
  /** Normal flows per second at the weekday afternoon peak. */
  rate: number;
  topology?: Topology;
  attacks?: AttackSpec[];
  /** Attach srcK8s/dstK8s to flows (default true); false mimics collectors that only see addresses. */
  emitK8s?: boolean;
}

export interface Simulator {
  /** Simulation start, epoch ms. */
  readonly start: number;
  readonly seed: number;
  /** Flows with start ≤ ts < until (epoch ms or Date), in non-decreasing ts order, generated lazily. */
  flows(until: Date | number): Generator<FlowRecord, void, undefined>;
  /** Pod IP (and ClusterIP) → Kubernetes identity: a static enrichment map. */
  identities(): Map<string, K8sIdentity>;
  /**
   * Ground truth per attack, windows clipped to the simulation start (and to `until` when given);
   * `flows` counts exactly what `flows(until)` emits for the attack. Counting replays each
   * attack's own stream (normal traffic is not generated), so it costs one pass over attack flows.
   */
  labels(until?: Date | number): AttackLabel[];
  /** The concrete cluster: pods, workloads, externals. Read-only by convention. */
  cluster(): ClusterModel;
}

function toMs(value: Date | number, name: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (!Number.isFinite(ms)) throw new ForesightError('sim-invalid-option', `${name} is not a valid time`);
  return ms;
}

export function createSimulator(options: SimulatorOptions): Simulator {
  if (!Number.isInteger(options.seed))
    throw new ForesightError('sim-invalid-option', 'seed must be an integer');
  if (!(options.rate > 0) || !Number.isFinite(options.rate)) {
    throw new ForesightError('sim-invalid-option', `rate must be a positive number, got ${options.rate}`);
  }
  const start = toMs(options.start, 'start');
  const seed = options.seed >>> 0;
  const root = new Rng(seed);
  const topology = options.topology ?? defaultTopology();
  const cluster = buildCluster(topology, root.fork('cluster'));
  validateTraffic(cluster);
  const shape: ShapeOptions = { emitK8s: options.emitK8s ?? true };

  const ids = new Set<string>();
  const attacks: ResolvedAttack[] = (options.attacks ?? []).map((spec, i) => {
    const id = spec.id ?? `${spec.type}-${i + 1}`;
    if (ids.has(id)) throw new ForesightError('sim-invalid-attack', `attack id "${id}" is used twice`);
    ids.add(id);
    return resolveAttack(spec, id, cluster, root.fork(`resolve:${id}`));
  });

  const attackStream = (attack: ResolvedAttack): Generator<FlowRecord> => {
    const ctx: AttackContext = {
      attack,
      cluster,
      rng: root.fork(`attack:${attack.id}`),
      rate: options.rate,
      shape,
    };
    return GENERATORS[attack.type](ctx);
  };

  function* flows(until: Date | number): Generator<FlowRecord, void, undefined> {
    const untilMs = toMs(until, 'until');
    const streams: Iterator<FlowRecord>[] = [
      requestFlows(cluster, root.fork('requests'), start, options.rate, seed, shape),
      scrapeFlows(cluster, root.fork('scrapes'), start, shape),
      deniedFlows(cluster, root.fork('denied'), start, shape),
      ...attacks
        .filter((a) => a.end > start && a.start < untilMs)
        .map((a) => skipBefore(attackStream(a), start)),
    ];
    yield* mergeStreams(streams, untilMs);
  }

  function labels(until?: Date | number): AttackLabel[] {
    const untilMs = until === undefined ? Infinity : toMs(until, 'until');
    return attacks.map((a) => {
      const from = Math.max(a.start, start);
      const to = Math.min(a.end, untilMs);
      let count = 0;
      if (to > from) {
        for (const f of attackStream(a)) {
          if (f.ts >= to) break;
          if (f.ts >= from) count++;
        }
      }
      const first = a.attackers[0];
      const label: AttackLabel = {
        id: a.id,
        type: a.type,
        label: attackLabel(a.type),
        start: from,
        end: Math.max(from, to),
        attacker: first?.ip ?? '',
        attackers: a.attackers.map((e) => e.ip),
        target: a.targetText,
        targets: a.targets.map((e) => e.ip),
        intensity: a.intensity,
        flows: count,
      };
      if (first?.k8s && a.attackers.length === 1) label.attackerK8s = first.k8s;
      return label;
    });
  }

  return {
    start,
    seed,
    flows,
    identities: () => identityMap(cluster),
    labels,
    cluster: () => cluster,
  };
}

function* skipBefore(stream: Generator<FlowRecord>, start: number): Generator<FlowRecord> {
  for (const f of stream) if (f.ts >= start) yield f;
}
