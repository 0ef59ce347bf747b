/**
 * Pure computation of one entity's window: merges the buckets the window spans and derives the
 * feature vector in FEATURE_SCHEMA order. Sums run over sorted keys so that the result does not
 * depend on the order flows arrived in (an online run and an offline run give equal vectors).
 */
import { FEATURE_COUNT, FEATURE_SCHEMA } from './schema.js';
import type { BucketAcc } from './bucket.js';

const F = FEATURE_SCHEMA.index;
const DAY_MS = 86_400_000;
const TOP_PEERS = 5;

export interface WindowSummary {
  vector: number[];
  flows: number;
  bytes: number;
  malicious: number;
  addresses: string[];
  topPeers: { peer: string; flows: number; bytes: number }[];
}

export function windowVector(buckets: readonly BucketAcc[], windowEnd: number): WindowSummary {
  let flows = 0,
    bytes = 0,
    packets = 0,
    denied = 0,
    tcp = 0,
    udp = 0,
    icmp = 0,
    withPort = 0,
    wellKnown = 0,
    ephemeral = 0,
    tcpWithOutcome = 0,
    failed = 0,
    durations = 0,
    durationSum = 0,
    durationSumSq = 0,
    malicious = 0;
  const ports = new Map<number, number>();
  const peers = new Map<string, { flows: number; bytes: number; times: number[] }>();
  const newPeers = new Set<string>();
  const addresses: string[] = [];
  for (const b of buckets) {
    flows += b.flows;
    bytes += b.bytes;
    packets += b.packets;
    denied += b.denied;
    tcp += b.tcp;
    udp += b.udp;
    icmp += b.icmp;
    withPort += b.withPort;
    wellKnown += b.wellKnown;
    ephemeral += b.ephemeral;
    tcpWithOutcome += b.tcpWithOutcome;
    failed += b.failed;
    durations += b.durations;
    durationSum += b.durationSum;
    durationSumSq += b.durationSumSq;
    malicious += b.malicious;
    for (const [port, n] of b.ports) ports.set(port, (ports.get(port) ?? 0) + n);
    for (const [peer, s] of b.peers) {
      const acc = peers.get(peer);
      if (acc) {
        acc.flows += s.flows;
        acc.bytes += s.bytes;
        acc.times.push(...s.times);
      } else peers.set(peer, { flows: s.flows, bytes: s.bytes, times: [...s.times] });
    }
    if (b.newPeers) for (const p of b.newPeers) newPeers.add(p);
    for (const a of b.addresses) if (!addresses.includes(a)) addresses.push(a);
  }

  const v = new Array<number>(FEATURE_COUNT).fill(0);
  const share = (n: number, d: number) => (d > 0 ? n / d : 0);
  v[F.flows_log] = Math.log1p(flows);
  v[F.bytes_log] = Math.log1p(bytes);
  v[F.packets_log] = Math.log1p(packets);
  v[F.peers_log] = Math.log1p(peers.size);
  v[F.dst_ports_log] = Math.log1p(ports.size);
  v[F.denied_ratio] = share(denied, flows);
  v[F.tcp_share] = share(tcp, flows);
  v[F.udp_share] = share(udp, flows);
  v[F.icmp_share] = share(icmp, flows);
  v[F.well_known_port_share] = share(wellKnown, flows);
  v[F.ephemeral_port_share] = share(ephemeral, flows);
  v[F.dst_port_entropy] = entropy(
    [...ports.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]),
    withPort,
  );
  const peerList = [...peers.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  v[F.peer_entropy] = entropy(
    peerList.map((e) => e[1].flows),
    flows,
  );
  const mean = share(durationSum, durations);
  v[F.duration_mean_log] = Math.log1p(mean);
  v[F.duration_std_log] = Math.log1p(
    durations > 1 ? Math.sqrt(Math.max(0, durationSumSq / durations - mean * mean)) : 0,
  );
  v[F.failed_ratio] = share(failed, tcpWithOutcome);
  let fresh = 0;
  for (const [p] of peerList) if (newPeers.has(p)) fresh++;
  v[F.new_peer_share] = share(fresh, peers.size);
  v[F.beaconing] = beaconing(peerList);
  v[F.bytes_per_flow_log] = Math.log1p(share(bytes, flows));
  const hour = ((windowEnd % DAY_MS) / 3_600_000) * ((2 * Math.PI) / 24);
  // 1970-01-01 was a Thursday; day 0 = Monday keeps weekends together at 5 and 6.
  const dow = ((Math.floor(windowEnd / DAY_MS) + 3) % 7) * ((2 * Math.PI) / 7);
  v[F.hour_sin] = Math.sin(hour);
  v[F.hour_cos] = Math.cos(hour);
  v[F.dow_sin] = Math.sin(dow);
  v[F.dow_cos] = Math.cos(dow);

  const topPeers = peerList
    .map(([peer, s]) => ({ peer, flows: s.flows, bytes: s.bytes }))
    .sort((a, b) => b.flows - a.flows || b.bytes - a.bytes || (a.peer < b.peer ? -1 : 1))
    .slice(0, TOP_PEERS);
  return { vector: v, flows, bytes, malicious, addresses: addresses.sort(), topPeers };
}

function entropy(counts: readonly number[], total: number): number {
  if (total <= 0) return 0;
  let h = 0;
  for (const c of counts) {
    if (c > 0) {
      const p = c / total;
      h -= p * Math.log2(p);
    }
  }
  return h;
}

/**
 * Regularity of contact with the busiest peer: 1 − coefficient of variation of the inter-arrival
 * times (clamped at 0). Periodic C&C beacons score near 1; human or bursty traffic near 0.
 */
function beaconing(peerList: readonly [string, { flows: number; times: number[] }][]): number {
  let busiest: number[] | undefined;
  let most = 0;
  for (const [, s] of peerList) {
    if (s.flows > most) {
      most = s.flows;
      busiest = s.times;
    }
  }
  if (!busiest || busiest.length < 4) return 0;
  const times = [...busiest].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) gaps.push(times[i]! - times[i - 1]!);
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  if (mean <= 0) return 0;
  const variance = gaps.reduce((a, g) => a + (g - mean) ** 2, 0) / gaps.length;
  return Math.max(0, 1 - Math.sqrt(variance) / mean);
}
