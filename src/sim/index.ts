/** The traffic simulator's public surface: what the demo, benchmarks, tests and evaluation import. */
export { createSimulator, type Simulator, type SimulatorOptions } from './simulator.js';
export { defaultAttackPlan, TYPICAL_DURATION_MS, type AttackPlanOptions } from './attack-plan.js';
export {
  defaultTopology,
  type Topology,
  type WorkloadSpec,
  type EdgeSpec,
  type ExternalSpec,
} from './topology.js';
export {
  ATTACK_TYPES,
  attackLabel,
  isAttackType,
  type AttackType,
  type AttackSpec,
  type AttackLabel,
} from './attacks/types.js';
export { ATTACK_DEFAULTS } from './attacks/resolve.js';
export type { ClusterModel, PodModel, WorkloadModel, Endpoint } from './cluster.js';
