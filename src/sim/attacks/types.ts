/**
 * What an injected attack is (AttackSpec, as callers write it), what the simulator resolved it to
 * (ResolvedAttack, with concrete addresses), and the ground truth it reports (AttackLabel).
 */
import type { FlowRecord, K8sIdentity } from '../../flows/flow-record.js';
import type { ClusterModel, Endpoint } from '../cluster.js';
import type { ShapeOptions } from '../flow-shapes.js';
import type { Rng } from '../random.js';

export const ATTACK_TYPES = [
  'portscan',
  'fanout',
  'bruteforce',
  'beacon',
  'exfil-slow',
  'exfil-burst',
  'lateral',
  'ddos',
] as const;

export type AttackType = (typeof ATTACK_TYPES)[number];

export function isAttackType(value: string): value is AttackType {
  return (ATTACK_TYPES as readonly string[]).includes(value);
}

/** The label every flow of an attack of this type carries. */
export function attackLabel(type: AttackType): `attack:${AttackType}` {
  return `attack:${type}`;
}

export interface AttackSpec {
  type: AttackType;
  start: Date | number;
  durationMs: number;
  /** Scales the attack's rate (or bytes, for exfiltration); 1 = the documented default. */
  intensity?: number;
  /**
   * Who attacks: `namespace/workload` (its first pod), `namespace/pod-name`, an external's name,
   * or an IPv4 address. Default: per type (see docs/adr/0005-simulator.md).
   */
  attacker?: string;
  /**
   * What is attacked: the same kinds of reference, or for fan-out `internet` or a CIDR whose
   * hosts are drawn per flow. Default: per type; for beaconing and exfiltration a fresh external
   * address that normal traffic never uses.
   */
  target?: string;
  /** Destination port where the type has one (fan-out 25, brute force 22, beacon/exfil 443, DDoS 443). */
  port?: number;
  /** Unique id; default `<type>-<n>` by position. Seeds the attack's random stream. */
  id?: string;
}

export interface ResolvedAttack {
  id: string;
  type: AttackType;
  start: number;
  end: number;
  intensity: number;
  /** Sources: one for every type except DDoS. */
  attackers: Endpoint[];
  /** Fixed destinations; empty when each flow draws its own (fan-out). */
  targets: Endpoint[];
  /** Human-readable target: a reference, an address, `internet:25`, a CIDR. */
  targetText: string;
  /** CIDR blocks fan-out draws destinations from. */
  targetBlocks: string[];
  port: number;
}

/** Ground truth for one injected attack. */
export interface AttackLabel {
  id: string;
  type: AttackType;
  label: `attack:${AttackType}`;
  /** Window, epoch ms, end exclusive (clipped to the simulated span when counted with `until`). */
  start: number;
  end: number;
  /** Main source address (the first bot for DDoS). */
  attacker: string;
  attackerK8s?: K8sIdentity;
  /** Every source address the attack uses. */
  attackers: string[];
  target: string;
  /** Fixed destination addresses; empty when drawn per flow. */
  targets: string[];
  intensity: number;
  /** Flows the attack emits inside the window. */
  flows: number;
}

export interface AttackContext {
  attack: ResolvedAttack;
  cluster: ClusterModel;
  rng: Rng;
  /** The normal traffic's peak rate (flows/s): DDoS volume scales with it. */
  rate: number;
  shape: ShapeOptions;
}

/** Emits one attack's flows in time order, starting at attack.start; the caller stops at attack.end. */
export type AttackGenerator = (ctx: AttackContext) => Generator<FlowRecord>;
