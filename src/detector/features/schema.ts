/**
 * The feature schema: the names, positions and meaning of every number in a window's feature
 * vector. Models are trained against one schema version and refuse rows of another, so any change
 * to this list (order, meaning, scaling) must bump `version`.
 *
 * "Peer" is the other side of the flow: destinations for a source entity, sources for a
 * destination entity. Ports are always destination ports.
 */

export interface FeatureSpec {
  name: string;
  description: string;
}

const FEATURES = [
  { name: 'flows_log', description: 'ln(1 + flows in the window)' },
  { name: 'bytes_log', description: 'ln(1 + bytes in the window)' },
  { name: 'packets_log', description: 'ln(1 + packets in the window)' },
  { name: 'peers_log', description: 'ln(1 + distinct peer addresses)' },
  { name: 'dst_ports_log', description: 'ln(1 + distinct destination ports)' },
  { name: 'denied_ratio', description: 'share of flows denied by the network' },
  { name: 'tcp_share', description: 'share of TCP flows' },
  { name: 'udp_share', description: 'share of UDP flows' },
  { name: 'icmp_share', description: 'share of ICMP/ICMPv6 flows' },
  { name: 'well_known_port_share', description: 'share of flows to destination ports below 1024' },
  { name: 'ephemeral_port_share', description: 'share of flows to destination ports 49152 and above' },
  { name: 'dst_port_entropy', description: 'Shannon entropy (bits) of destination ports over flows' },
  { name: 'peer_entropy', description: 'Shannon entropy (bits) of peer addresses over flows' },
  { name: 'duration_mean_log', description: 'ln(1 + mean flow duration in ms)' },
  { name: 'duration_std_log', description: 'ln(1 + standard deviation of flow duration in ms)' },
  { name: 'failed_ratio', description: 'share of TCP flows that were SYN-only attempts or rejected' },
  { name: 'new_peer_share', description: "share of the window's peers never seen before for this entity" },
  {
    name: 'beaconing',
    description: '1 − coefficient of variation of inter-arrival times to the busiest peer (0 when < 4 flows)',
  },
  { name: 'bytes_per_flow_log', description: 'ln(1 + bytes per flow)' },
  { name: 'hour_sin', description: 'sin(2π·hour-of-day/24) at window end (UTC)' },
  { name: 'hour_cos', description: 'cos(2π·hour-of-day/24) at window end (UTC)' },
  { name: 'dow_sin', description: 'sin(2π·day-of-week/7) at window end (UTC)' },
  { name: 'dow_cos', description: 'cos(2π·day-of-week/7) at window end (UTC)' },
] as const satisfies readonly FeatureSpec[];

export type FeatureName = (typeof FEATURES)[number]['name'];

export interface FeatureSchema {
  version: number;
  features: readonly FeatureSpec[];
  names: readonly FeatureName[];
  /** Position of each feature in the vector. */
  index: Readonly<Record<FeatureName, number>>;
}

export const FEATURE_SCHEMA: FeatureSchema = Object.freeze({
  version: 1,
  features: FEATURES,
  names: FEATURES.map((f) => f.name),
  index: Object.fromEntries(FEATURES.map((f, i) => [f.name, i])) as Record<FeatureName, number>,
});

export const FEATURE_COUNT = FEATURES.length;
