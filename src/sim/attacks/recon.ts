/**
 * Reconnaissance and spreading: port scan (one source, many ports on a few hosts), SYN fan-out
 * (one source, one port, many hosts) and lateral movement (a compromised pod probing pods and
 * ports it never talked to). Rates are per unit of intensity.
 */
import type { FlowRecord } from '../../flows/flow-record.js';
import { parseCidr, randomHostInAny } from '../addresses.js';
import { makeFlow } from '../flow-shapes.js';
import type { Endpoint } from '../cluster.js';
import type { AttackContext } from './types.js';
import { attackLabel } from './types.js';

/** Probes per second of a port scan. */
const SCAN_RATE = 20;
/** Connection attempts per second of a fan-out. */
const FANOUT_RATE = 10;
/** Connection attempts per second of lateral movement. */
const LATERAL_RATE = 1;

/** Ports a scanner or an intruder tries first: well-known services and Kubernetes internals. */
export const SERVICE_PORTS = [
  21, 22, 23, 25, 53, 80, 110, 143, 443, 445, 993, 1433, 2379, 2380, 3000, 3306, 3389, 5000, 5432, 5601, 6379,
  6443, 8000, 8080, 8443, 9000, 9090, 9200, 9300, 10250, 10255, 11211, 15672, 27017,
];

function listensOn(ctx: AttackContext, ep: Endpoint, port: number): boolean {
  const pod = ctx.cluster.podByIp.get(ep.ip);
  return pod !== undefined && pod.workload.spec.ports.includes(port);
}

/** nmap's default: the well-known range plus popular higher ports, in random order, host by host. */
export function* portscan(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape } = ctx;
  const label = attackLabel('portscan');
  const src = attack.attackers[0] as Endpoint;
  const ports = new Set<number>(SERVICE_PORTS);
  for (let p = 1; p <= 1024; p++) ports.add(p);
  const order = rng.shuffle([...ports]);
  const perMs = (SCAN_RATE * attack.intensity) / 1000;
  let t = attack.start;
  for (const target of attack.targets) {
    for (const port of order) {
      t += rng.exp(perMs);
      if (t >= attack.end) return;
      const open = listensOn(ctx, target, port);
      yield makeFlow(
        {
          ts: t,
          src,
          dst: target,
          dstPort: port,
          proto: 'tcp',
          // An open port answers SYN-ACK and the scanner resets: a tiny "established" exchange.
          bytes: 164,
          durationMs: 1,
          outcome: open ? 'established' : rng.chance(0.25) ? 'attempt' : 'rejected',
          label,
        },
        rng,
        shape,
      );
    }
  }
}

/** Spam/worm-style SYN fan-out: one port, a new host almost every time, mostly unanswered. */
export function* fanout(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape, cluster } = ctx;
  const label = attackLabel('fanout');
  const src = attack.attackers[0] as Endpoint;
  const blocks = attack.targetBlocks.map(parseCidr);
  const perMs = (FANOUT_RATE * attack.intensity) / 1000;
  let t = attack.start;
  for (;;) {
    t += rng.exp(perMs);
    if (t >= attack.end) return;
    let dst: Endpoint;
    if (blocks.length > 0) {
      const ip = randomHostInAny(blocks, rng);
      dst = cluster.podByIp.get(ip) ?? { ip };
    } else {
      dst = rng.pick(attack.targets);
    }
    const r = rng.next();
    const outcome = r < 0.88 ? 'attempt' : r < 0.95 ? 'rejected' : 'established';
    yield makeFlow(
      {
        ts: t,
        src,
        dst,
        dstPort: attack.port,
        proto: 'tcp',
        bytes: rng.logNormal(1800, 0.4),
        durationMs: outcome === 'attempt' ? (rng.chance(0.5) ? 3000 : 0) : rng.logNormal(800, 0.5),
        outcome,
        label,
      },
      rng,
      shape,
    );
  }
}

/**
 * A compromised pod probing pods it has no business with: service ports and each target's real
 * ports. Some attempts hit a NetworkPolicy (denied), closed ports reset, open ones answer.
 */
export function* lateral(ctx: AttackContext): Generator<FlowRecord> {
  const { attack, rng, shape, cluster } = ctx;
  const label = attackLabel('lateral');
  const src = attack.attackers[0] as Endpoint;
  const perMs = (LATERAL_RATE * attack.intensity) / 1000;
  let t = attack.start;
  for (;;) {
    t += rng.exp(perMs);
    if (t >= attack.end) return;
    const dst = rng.pick(attack.targets);
    const own = cluster.podByIp.get(dst.ip)?.workload.spec.ports ?? [];
    const port = own.length > 0 && rng.chance(0.4) ? rng.pick(own) : rng.pick(SERVICE_PORTS);
    const denied = rng.chance(0.3);
    const open = listensOn(ctx, dst, port);
    yield makeFlow(
      {
        ts: t,
        src,
        dst,
        dstPort: port,
        proto: 'tcp',
        bytes: rng.logNormal(2500, 0.8),
        durationMs: denied ? 3000 : rng.logNormal(200, 0.8),
        outcome: denied ? 'attempt' : open ? 'established' : 'rejected',
        action: denied ? 'deny' : 'allow',
        label,
      },
      rng,
      shape,
    );
  }
}
