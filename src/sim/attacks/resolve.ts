/**
 * Turns an AttackSpec into a ResolvedAttack: validates it, fills per-type defaults (who attacks
 * what, on which port) and draws the addresses it needs (a fresh scanner, C&C or drop address,
 * a botnet) from the attack's own random stream, so resolution is the same every time.
 */
import { ForesightError } from '../../errors.js';
import {
  BOTNET_BLOCKS,
  HOSTING_BLOCKS,
  INTERNET_BLOCKS,
  isIpv4,
  parseCidr,
  randomHostInAny,
} from '../addresses.js';
import { resolveRef, type ClusterModel, type Endpoint } from '../cluster.js';
import type { Rng } from '../random.js';
import type { AttackSpec, AttackType, ResolvedAttack } from './types.js';
import { isAttackType } from './types.js';

/** `fresh`: an external address normal traffic never uses; `botnet`: many residential/IoT addresses. */
interface Defaults {
  attacker: string;
  target: string;
  port: number;
}

export const ATTACK_DEFAULTS: Readonly<Record<AttackType, Defaults>> = {
  portscan: { attacker: 'fresh', target: 'platform/ingress-nginx', port: 0 },
  fanout: { attacker: 'shop/catalog', target: 'internet', port: 25 },
  bruteforce: { attacker: 'fresh', target: 'platform/bastion', port: 22 },
  beacon: { attacker: 'shop/cart', target: 'fresh', port: 443 },
  'exfil-slow': { attacker: 'shop/payments', target: 'fresh', port: 443 },
  'exfil-burst': { attacker: 'shop/postgres', target: 'fresh', port: 443 },
  lateral: { attacker: 'shop/frontend', target: 'unusual-peers', port: 0 },
  ddos: { attacker: 'botnet', target: 'platform/ingress-nginx', port: 443 },
};

/** Bots per unit of intensity in a DDoS. */
const BOTS = 250;
/** A port scan covers "one or a few hosts". */
const MAX_SCAN_TARGETS = 3;

function freshExternal(cluster: ClusterModel, rng: Rng): Endpoint {
  const blocks = HOSTING_BLOCKS.map(parseCidr);
  for (;;) {
    const ip = randomHostInAny(blocks, rng);
    if (!cluster.knownExternal.has(ip)) return { ip };
  }
}

function botnet(cluster: ClusterModel, rng: Rng, size: number): Endpoint[] {
  const blocks = BOTNET_BLOCKS.map(parseCidr);
  const seen = new Set<string>();
  const bots: Endpoint[] = [];
  while (bots.length < size) {
    const ip = randomHostInAny(blocks, rng);
    if (seen.has(ip) || cluster.knownExternal.has(ip)) continue;
    seen.add(ip);
    bots.push({ ip });
  }
  return bots;
}

/** Pods outside the attacker's own workload and outside everything its workload normally calls. */
function unusualPeers(cluster: ClusterModel, attacker: Endpoint): Endpoint[] {
  const pod = cluster.podByIp.get(attacker.ip);
  const usual = new Set<string>();
  if (pod) {
    usual.add(pod.workload.key);
    for (const e of cluster.topology.edges) if (e.from === pod.workload.key) usual.add(e.to);
  }
  return cluster.pods.filter((p) => !usual.has(p.workload.key));
}

function isCidr(text: string): boolean {
  const [ip, bits] = text.split('/');
  return ip !== undefined && bits !== undefined && isIpv4(ip) && /^\d{1,2}$/.test(bits);
}

function invalid(spec: AttackSpec, message: string): ForesightError {
  return new ForesightError('sim-invalid-attack', `attack ${spec.id ?? spec.type}: ${message}`);
}

export function resolveAttack(spec: AttackSpec, id: string, cluster: ClusterModel, rng: Rng): ResolvedAttack {
  if (!isAttackType(spec.type)) throw invalid(spec, `unknown type "${String(spec.type)}"`);
  // Whole milliseconds, like flow timestamps, so "inside the window" means the same everywhere.
  const start = Math.round(spec.start instanceof Date ? spec.start.getTime() : spec.start);
  if (!Number.isFinite(start)) throw invalid(spec, 'start is not a valid time');
  if (!(spec.durationMs > 0) || !Number.isFinite(spec.durationMs))
    throw invalid(spec, 'durationMs must be > 0');
  const intensity = spec.intensity ?? 1;
  if (!(intensity > 0) || !Number.isFinite(intensity)) throw invalid(spec, 'intensity must be > 0');
  const defaults = ATTACK_DEFAULTS[spec.type];
  const port = spec.port ?? defaults.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalid(spec, `bad port ${port}`);

  const attackerRef = spec.attacker ?? defaults.attacker;
  let attackers: Endpoint[];
  if (attackerRef === 'fresh') attackers = [freshExternal(cluster, rng)];
  else if (attackerRef === 'botnet')
    attackers = botnet(cluster, rng, Math.max(2, Math.round(BOTS * intensity)));
  else {
    const resolved = resolveRef(cluster, attackerRef);
    attackers = spec.type === 'ddos' ? resolved : resolved.slice(0, 1);
  }

  const targetRef = spec.target ?? defaults.target;
  let targets: Endpoint[] = [];
  let targetBlocks: string[] = [];
  let targetText = targetRef;
  if (targetRef === 'fresh') {
    targets = [freshExternal(cluster, rng)];
    targetText = (targets[0] as Endpoint).ip;
  } else if (targetRef === 'unusual-peers') {
    targets = unusualPeers(cluster, attackers[0] as Endpoint);
    targetText = 'pods outside the attacker’s usual peers';
  } else if (spec.type === 'fanout' && (targetRef === 'internet' || isCidr(targetRef))) {
    targetBlocks = targetRef === 'internet' ? [...INTERNET_BLOCKS] : [parseCidr(targetRef).text];
    targetText = `${targetRef}:${port}`;
  } else {
    targets = resolveRef(cluster, targetRef);
    if (spec.type === 'portscan') targets = targets.slice(0, MAX_SCAN_TARGETS);
    if (spec.type === 'beacon' || spec.type === 'exfil-slow' || spec.type === 'exfil-burst')
      targets = targets.slice(0, 1);
  }
  const attackerIps = new Set(attackers.map((a) => a.ip));
  targets = targets.filter((t) => !attackerIps.has(t.ip));
  if (targets.length === 0 && targetBlocks.length === 0)
    throw invalid(spec, `target "${targetRef}" leaves nothing to attack`);
  // Scans and lateral movement pick their own ports; every other type aims at one.
  if (port === 0 && spec.type !== 'portscan' && spec.type !== 'lateral') throw invalid(spec, 'needs a port');
  return {
    id,
    type: spec.type,
    start,
    end: start + Math.max(1, Math.round(spec.durationMs)),
    intensity,
    attackers,
    targets,
    targetText,
    targetBlocks,
    port,
  };
}
