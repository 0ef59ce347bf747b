/**
 * Quiet attacks from a compromised pod to the Internet: C&C beaconing (periodic, small, low
 * jitter), slow exfiltration (steady, large, low rate) and bursty exfiltration (rare bursts of
 * very large transfers). All go to one external address that normal traffic never uses.
 */
import type { FlowRecord } from '../../flows/flow-record.js';
import { makeFlow } from '../flow-shapes.js';
import type { Endpoint } from '../cluster.js';
import type { AttackContext } from './types.js';
import { attackLabel } from './types.js';

/** Beacon period at intensity 1 (CTU-13's Menti bot beacons about every 33 s). */
const BEACON_PERIOD_MS = 30_000;
/** Relative jitter of the beacon period (uniform ±). */
const BEACON_JITTER = 0.05;
const SLOW_EXFIL_PERIOD_MS = 20_000;
const SLOW_EXFIL_BYTES = 1_500_000;
const BURST_EVERY_MS = 5 * 60_000;
const BURST_FLOW_BYTES = 25_000_000;

export function* beacon(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape } = ctx;
  const label = attackLabel('beacon');
  const src = attack.attackers[0] as Endpoint;
  const dst = attack.targets[0] as Endpoint;
  const period = BEACON_PERIOD_MS / attack.intensity;
  let t = attack.start + rng.next() * period;
  while (t < attack.end) {
    yield makeFlow(
      {
        ts: t,
        src,
        dst,
        dstPort: attack.port,
        proto: 'tcp',
        bytes: rng.logNormal(700, 0.15),
        durationMs: rng.logNormal(180, 0.3),
        outcome: 'established',
        label,
      },
      rng,
      shape,
    );
    t += period * (1 + rng.uniform(-BEACON_JITTER, BEACON_JITTER));
  }
}

/** Chunks of ~1.5 MB × intensity every ~20 s, throttled to ~150 KB/s to stay under the radar. */
export function* exfilSlow(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape } = ctx;
  const label = attackLabel('exfil-slow');
  const src = attack.attackers[0] as Endpoint;
  const dst = attack.targets[0] as Endpoint;
  let t = attack.start + rng.next() * SLOW_EXFIL_PERIOD_MS;
  while (t < attack.end) {
    const bytes = rng.logNormal(SLOW_EXFIL_BYTES * attack.intensity, 0.25);
    yield makeFlow(
      {
        ts: t,
        src,
        dst,
        dstPort: attack.port,
        proto: 'tcp',
        bytes,
        durationMs: (bytes / 150_000) * 1000,
        outcome: 'established',
        label,
      },
      rng,
      shape,
    );
    t += SLOW_EXFIL_PERIOD_MS * rng.uniform(0.7, 1.3);
  }
}

/** Every ~5 min a burst of 8–23 parallel-ish uploads of ~25 MB × intensity each. */
export function* exfilBurst(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape } = ctx;
  const label = attackLabel('exfil-burst');
  const src = attack.attackers[0] as Endpoint;
  const dst = attack.targets[0] as Endpoint;
  let burstAt = attack.start + rng.next() * 30_000;
  while (burstAt < attack.end) {
    const count = 8 + rng.int(16);
    let t = burstAt;
    for (let i = 0; i < count && t < attack.end; i++) {
      const bytes = rng.logNormal(BURST_FLOW_BYTES * attack.intensity, 0.4);
      yield makeFlow(
        {
          ts: t,
          src,
          dst,
          dstPort: attack.port,
          proto: 'tcp',
          bytes,
          durationMs: (bytes / 8_000_000) * 1000,
          outcome: 'established',
          label,
        },
        rng,
        shape,
      );
      t += rng.exp(1 / 1500);
    }
    burstAt = Math.max(t, burstAt + BURST_EVERY_MS * rng.uniform(0.9, 1.1));
  }
}
