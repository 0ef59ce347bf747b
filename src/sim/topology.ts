/**
 * What the simulated cluster is: workloads, the external peers it talks to, who calls whom
 * (edges with their share of the traffic and their byte/duration distributions), Prometheus
 * scraping, the misconfigured client that gets denied, and the load cycle. `defaultTopology()`
 * is a small online shop; callers may pass their own `Topology` of the same shape.
 */
import { RESIDENTIAL_BLOCKS } from './addresses.js';

export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export type L4 = 'tcp' | 'udp';

export interface WorkloadSpec {
  namespace: string;
  name: string;
  kind: WorkloadKind;
  replicas: number;
  /** Ports the pods listen on (a scan finds these open). */
  ports: number[];
  /** Port Prometheus scrapes; absent when the pod is not scraped. */
  metricsPort?: number;
  /** Extra pod labels, e.g. `foresight.dev/criticality`. */
  labels?: Record<string, string>;
}

export interface ExternalSpec {
  name: string;
  /** Fixed addresses, or `blocks` + `count` to draw a pool of `count` addresses at build time. */
  addresses?: string[];
  blocks?: string[];
  count?: number;
  /** Popularity skew when picking one address: 1 uniform, larger favours a few heavy hitters. */
  skew?: number;
}

export interface LogNormalSpec {
  median: number;
  sigma: number;
}

/** One caller → callee relation. Ends are `namespace/workload` or the name of an external. */
export interface EdgeSpec {
  from: string;
  to: string;
  port: number;
  proto?: L4;
  /** Relative share of the request traffic (the rate knob splits flows/s by these weights). */
  share: number;
  bytes: LogNormalSpec;
  durationMs: LogNormalSpec;
}

export interface DeniedSpec {
  from: string;
  to: string;
  port: number;
  /** Mean denied attempts per hour (Poisson, independent of the load cycle). */
  perHour: number;
}

export interface LoadCycleSpec {
  /** Hour of day (UTC + utcOffsetHours) of the daily peak. */
  peakHour: number;
  /** Load at the nightly trough relative to the peak (0–1). */
  nightFactor: number;
  /** Multiplier on Saturdays and Sundays. */
  weekendFactor: number;
  /** The cluster's users' time zone, so "afternoon" is theirs. */
  utcOffsetHours: number;
  /** Amplitude of slow random variation (±, relative), changing every `noiseBucketMs`. */
  noise: number;
  noiseBucketMs: number;
}

export interface Topology {
  /** Each node gets a /24 of this block (flannel-style), pods take addresses from their node's /24. */
  podCidr: string;
  serviceCidr: string;
  nodes: number;
  workloads: WorkloadSpec[];
  externals: ExternalSpec[];
  edges: EdgeSpec[];
  scrape?: { from: string; intervalMs: number };
  denied: DeniedSpec[];
  load: LoadCycleSpec;
  /** Share of normal TCP flows answered by RST (restarts, readiness races). */
  rejectRate: number;
}

const ln = (median: number, sigma: number): LogNormalSpec => ({ median, sigma });
const crit = (level: 'high' | 'medium' | 'low') => ({ 'foresight.dev/criticality': level });

function edge(
  from: string,
  to: string,
  port: number,
  share: number,
  bytes: LogNormalSpec,
  dur: LogNormalSpec,
): EdgeSpec {
  return { from, to, port, share, bytes, durationMs: dur };
}

function dns(from: string, share: number): EdgeSpec {
  return { ...edge(from, 'kube-system/coredns', 53, share, ln(190, 0.25), ln(2, 0.8)), proto: 'udp' };
}

/**
 * A small online shop: ingress → frontend → api → cart/catalog/payments → postgres/redis, with
 * egress to a payments provider and object storage, DNS through CoreDNS, Prometheus scraping
 * every pod, and an SSH bastion that admins use.
 */
export function defaultTopology(): Topology {
  return {
    podCidr: '10.244.0.0/16',
    serviceCidr: '10.96.0.0/12',
    nodes: 3,
    workloads: [
      {
        namespace: 'kube-system',
        name: 'coredns',
        kind: 'Deployment',
        replicas: 2,
        ports: [53],
        metricsPort: 9153,
      },
      {
        namespace: 'platform',
        name: 'ingress-nginx',
        kind: 'Deployment',
        replicas: 2,
        ports: [80, 443],
        metricsPort: 10254,
        labels: crit('high'),
      },
      { namespace: 'platform', name: 'prometheus', kind: 'StatefulSet', replicas: 1, ports: [9090] },
      {
        namespace: 'platform',
        name: 'grafana',
        kind: 'Deployment',
        replicas: 1,
        ports: [3000],
        metricsPort: 3000,
      },
      {
        namespace: 'platform',
        name: 'bastion',
        kind: 'Deployment',
        replicas: 1,
        ports: [22],
        labels: crit('high'),
      },
      {
        namespace: 'shop',
        name: 'frontend',
        kind: 'Deployment',
        replicas: 3,
        ports: [8080],
        metricsPort: 8080,
        labels: crit('medium'),
      },
      {
        namespace: 'shop',
        name: 'api',
        kind: 'Deployment',
        replicas: 3,
        ports: [8080],
        metricsPort: 8080,
        labels: crit('medium'),
      },
      {
        namespace: 'shop',
        name: 'cart',
        kind: 'Deployment',
        replicas: 2,
        ports: [8080],
        metricsPort: 8080,
        labels: crit('medium'),
      },
      {
        namespace: 'shop',
        name: 'catalog',
        kind: 'Deployment',
        replicas: 2,
        ports: [8080],
        metricsPort: 8080,
        labels: crit('low'),
      },
      {
        namespace: 'shop',
        name: 'payments',
        kind: 'Deployment',
        replicas: 2,
        ports: [8080],
        metricsPort: 8080,
        labels: crit('high'),
      },
      {
        namespace: 'shop',
        name: 'postgres',
        kind: 'StatefulSet',
        replicas: 1,
        ports: [5432],
        metricsPort: 9187,
        labels: crit('high'),
      },
      {
        namespace: 'shop',
        name: 'redis',
        kind: 'StatefulSet',
        replicas: 1,
        ports: [6379],
        metricsPort: 9121,
        labels: crit('medium'),
      },
    ],
    externals: [
      { name: 'clients', blocks: [...RESIDENTIAL_BLOCKS], count: 5000, skew: 2.5 },
      { name: 'admins', addresses: ['81.2.69.142', '81.2.69.160'] },
      { name: 'payments-provider', addresses: ['54.187.174.169', '54.187.205.235', '54.187.216.72'] },
      {
        name: 'object-storage',
        addresses: ['52.216.8.107', '52.216.62.51', '52.217.96.140', '52.217.161.83'],
      },
      { name: 'upstream-dns', addresses: ['1.1.1.1', '8.8.8.8'] },
    ],
    edges: [
      edge('clients', 'platform/ingress-nginx', 443, 1.0, ln(9000, 1.1), ln(350, 1.0)),
      edge('clients', 'platform/ingress-nginx', 80, 0.03, ln(600, 0.3), ln(40, 0.6)),
      edge('platform/ingress-nginx', 'shop/frontend', 8080, 1.0, ln(8000, 1.1), ln(120, 0.9)),
      edge('shop/frontend', 'shop/api', 8080, 0.8, ln(3000, 0.9), ln(60, 0.8)),
      edge('shop/api', 'shop/catalog', 8080, 0.6, ln(4000, 1.0), ln(30, 0.8)),
      edge('shop/api', 'shop/cart', 8080, 0.3, ln(1200, 0.6), ln(20, 0.7)),
      edge('shop/api', 'shop/payments', 8080, 0.05, ln(2500, 0.5), ln(400, 0.6)),
      edge('shop/catalog', 'shop/postgres', 5432, 0.25, ln(6000, 1.2), ln(15, 1.0)),
      edge('shop/catalog', 'shop/redis', 6379, 0.5, ln(900, 0.8), ln(2, 0.7)),
      edge('shop/catalog', 'object-storage', 443, 0.02, ln(180000, 1.2), ln(600, 0.9)),
      edge('shop/cart', 'shop/redis', 6379, 0.5, ln(500, 0.6), ln(2, 0.7)),
      edge('shop/payments', 'shop/postgres', 5432, 0.05, ln(1500, 0.6), ln(10, 0.8)),
      edge('shop/payments', 'payments-provider', 443, 0.04, ln(7000, 0.4), ln(300, 0.5)),
      edge('platform/grafana', 'platform/prometheus', 9090, 0.004, ln(40000, 1.0), ln(80, 0.9)),
      edge('admins', 'platform/bastion', 22, 0.0001, ln(250000, 1.5), ln(600000, 1.0)),
      dns('platform/ingress-nginx', 0.02),
      dns('shop/frontend', 0.08),
      dns('shop/api', 0.08),
      dns('shop/catalog', 0.04),
      dns('shop/cart', 0.04),
      dns('shop/payments', 0.05),
      { ...edge('kube-system/coredns', 'upstream-dns', 53, 0.02, ln(220, 0.3), ln(15, 0.6)), proto: 'udp' },
    ],
    scrape: { from: 'platform/prometheus', intervalMs: 30_000 },
    denied: [{ from: 'shop/cart', to: 'shop/postgres', port: 5432, perHour: 4 }],
    load: {
      peakHour: 15,
      nightFactor: 0.25,
      weekendFactor: 0.6,
      utcOffsetHours: 0,
      noise: 0.1,
      noiseBucketMs: 600_000,
    },
    rejectRate: 0.002,
  };
}
