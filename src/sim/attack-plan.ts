/**
 * A ready-made attack schedule: every attack type once, one after another without overlap, after
 * an attack-free warm-up (a quarter of the span) that detectors can learn the baseline from.
 */
import { ForesightError } from '../errors.js';
import type { AttackSpec, AttackType } from './attacks/types.js';

/** How long each attack lasts when the span leaves room; the slot caps it otherwise. */
export const TYPICAL_DURATION_MS: Readonly<Record<AttackType, number>> = {
  portscan: 5 * 60_000,
  fanout: 10 * 60_000,
  bruteforce: 15 * 60_000,
  beacon: 60 * 60_000,
  'exfil-slow': 45 * 60_000,
  'exfil-burst': 30 * 60_000,
  lateral: 10 * 60_000,
  ddos: 10 * 60_000,
};

/** Quiet and loud attacks alternate; the DDoS, which dwarfs everything, comes last. */
const ORDER: readonly AttackType[] = [
  'portscan',
  'beacon',
  'bruteforce',
  'exfil-slow',
  'fanout',
  'lateral',
  'exfil-burst',
  'ddos',
];

export interface AttackPlanOptions {
  /** Which types to schedule (default: all). */
  types?: readonly AttackType[];
  /** Leading share of the span kept attack-free (default 0.25). */
  warmupFraction?: number;
}

/** Attack specs for [start, start + spanMs): each requested type once, in its own slot. */
export function defaultAttackPlan(
  start: Date | number,
  spanMs: number,
  options: AttackPlanOptions = {},
): AttackSpec[] {
  const startMs = start instanceof Date ? start.getTime() : start;
  if (!Number.isFinite(startMs))
    throw new ForesightError('sim-invalid-option', 'attack plan start is not a valid time');
  if (!(spanMs > 0)) throw new ForesightError('sim-invalid-option', 'attack plan span must be > 0');
  const warmup = options.warmupFraction ?? 0.25;
  if (!(warmup >= 0 && warmup < 1))
    throw new ForesightError('sim-invalid-option', 'warmupFraction must be in [0, 1)');
  const wanted = new Set(options.types ?? ORDER);
  const types = ORDER.filter((t) => wanted.has(t));
  if (types.length === 0) return [];
  // Slots are proportional to each type's typical duration, so long, quiet attacks (beaconing,
  // slow exfiltration) keep enough repetitions when the span is short.
  const weight = types.reduce((a, t) => a + TYPICAL_DURATION_MS[t], 0);
  const available = spanMs * (1 - warmup);
  let slotStart = startMs + spanMs * warmup;
  return types.map((type, i) => {
    const slot = (available * TYPICAL_DURATION_MS[type]) / weight;
    const spec: AttackSpec = {
      id: `${type}-${i + 1}`,
      type,
      // Whole seconds: label files and summaries read better, and nothing needs finer.
      start: Math.round((slotStart + slot * 0.1) / 1000) * 1000,
      durationMs: Math.max(1000, Math.round(Math.min(TYPICAL_DURATION_MS[type], slot * 0.8) / 1000) * 1000),
    };
    slotStart += slot;
    return spec;
  });
}
