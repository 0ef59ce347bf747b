/**
 * Attacks on a service's front door: SSH brute force (many short, failing sessions from one
 * source) and DDoS (many sources flooding one service with SYNs and cheap requests).
 */
import type { FlowRecord } from '../../flows/flow-record.js';
import { makeFlow } from '../flow-shapes.js';
import type { Endpoint } from '../cluster.js';
import type { AttackContext } from './types.js';
import { attackLabel } from './types.js';

/** Login attempts (connections) per second of a brute force. */
const BRUTE_RATE = 1.5;
/** DDoS flows per second, as a multiple of the cluster's peak request rate. */
const DDOS_RATE_FACTOR = 2;
/** DDoS flows per second at least, so a tiny simulated cluster still sees a flood. */
const DDOS_MIN_RATE = 100;

/**
 * Each attempt is a full SSH handshake and a few password tries before the server drops the
 * connection: short, a few KB, similar every time. sshd's MaxStartups refuses some outright.
 */
export function* bruteforce(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape } = ctx;
  const label = attackLabel('bruteforce');
  const src = attack.attackers[0] as Endpoint;
  const perMs = (BRUTE_RATE * attack.intensity) / 1000;
  let t = attack.start;
  for (;;) {
    t += rng.exp(perMs);
    if (t >= attack.end) return;
    const refused = rng.chance(0.15);
    yield makeFlow(
      {
        ts: t,
        src,
        dst: rng.pick(attack.targets),
        dstPort: attack.port,
        proto: 'tcp',
        bytes: rng.logNormal(3800, 0.25),
        durationMs: rng.logNormal(2500, 0.4),
        outcome: refused ? 'rejected' : 'established',
        label,
      },
      rng,
      shape,
    );
  }
}

/** SYN flood mixed with an HTTP request flood, from every bot, spread over the target's pods. */
export function* ddos(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape } = ctx;
  const label = attackLabel('ddos');
  const perSecond = Math.max(DDOS_MIN_RATE, DDOS_RATE_FACTOR * ctx.rate) * attack.intensity;
  const perMs = perSecond / 1000;
  let t = attack.start;
  for (;;) {
    t += rng.exp(perMs);
    if (t >= attack.end) return;
    const syn = rng.chance(0.6);
    yield makeFlow(
      {
        ts: t,
        src: rng.pick(attack.attackers),
        dst: rng.pick(attack.targets),
        dstPort: attack.port,
        proto: 'tcp',
        bytes: rng.logNormal(900, 0.3),
        durationMs: syn ? 0 : rng.logNormal(60, 0.8),
        outcome: syn ? 'attempt' : 'established',
        label,
      },
      rng,
      shape,
    );
  }
}
