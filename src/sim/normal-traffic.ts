/**
 * Normal (label `normal`) traffic streams, each an endless generator in time order:
 * - requests: one non-homogeneous Poisson process (thinning against the load cycle) whose
 *   arrivals are split over the topology's edges by share;
 * - scrapes: Prometheus pulling every pod's metrics port on a fixed interval with millisecond jitter
 *   (periodic by design: the beaconing feature must learn that this is normal);
 * - denied: the misconfigured client's attempts, a few per hour, blocked by a NetworkPolicy.
 */
import { ForesightError } from '../errors.js';
import type { FlowRecord } from '../flows/flow-record.js';
import {
  pickExternal,
  type ClusterModel,
  type Endpoint,
  type ExternalModel,
  type PodModel,
} from './cluster.js';
import { makeFlow, type ShapeOptions } from './flow-shapes.js';
import { loadFactor, maxLoadFactor } from './load-cycle.js';
import type { Rng } from './random.js';
import type { EdgeSpec } from './topology.js';

type EndSide = { kind: 'pods'; pods: PodModel[] } | { kind: 'external'; ext: ExternalModel };

interface ResolvedEdge {
  spec: EdgeSpec;
  from: EndSide;
  to: EndSide;
}

function side(cluster: ClusterModel, ref: string, edge: EdgeSpec): EndSide {
  const workload = cluster.workloads.get(ref);
  if (workload) return { kind: 'pods', pods: workload.pods };
  const ext = cluster.externals.get(ref);
  if (ext) return { kind: 'external', ext };
  throw new ForesightError('sim-invalid-topology', `edge ${edge.from} → ${edge.to}: unknown end "${ref}"`);
}

function pickEnd(end: EndSide, rng: Rng): Endpoint {
  return end.kind === 'pods' ? rng.pick(end.pods) : { ip: pickExternal(end.ext, rng) };
}

/** Edges in topology order with their cumulative share, for O(log n) weighted picks. */
function resolveEdges(cluster: ClusterModel): { edges: ResolvedEdge[]; cumulative: number[] } {
  const edges = cluster.topology.edges.map((e) => ({
    spec: e,
    from: side(cluster, e.from, e),
    to: side(cluster, e.to, e),
  }));
  const cumulative: number[] = [];
  let total = 0;
  for (const e of edges) {
    if (!(e.spec.share > 0))
      throw new ForesightError(
        'sim-invalid-topology',
        `edge ${e.spec.from} → ${e.spec.to}: share must be > 0`,
      );
    total += e.spec.share;
    cumulative.push(total);
  }
  return { edges, cumulative: cumulative.map((c) => c / total) };
}

function pickIndex(cumulative: readonly number[], u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < (cumulative[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Throws on edges, denied clients or a scraper that name nothing in the cluster. */
export function validateTraffic(cluster: ClusterModel): void {
  resolveEdges(cluster);
  deniedSides(cluster);
  const scrape = cluster.topology.scrape;
  if (scrape && !cluster.workloads.has(scrape.from)) {
    throw new ForesightError('sim-invalid-topology', `scrape.from: unknown workload ${scrape.from}`);
  }
}

function deniedSides(cluster: ClusterModel) {
  return cluster.topology.denied
    .filter((d) => d.perHour > 0)
    .map((d) => {
      const edge: EdgeSpec = {
        from: d.from,
        to: d.to,
        port: d.port,
        share: 1,
        bytes: { median: 0, sigma: 0 },
        durationMs: { median: 0, sigma: 0 },
      };
      return { spec: d, from: side(cluster, d.from, edge), to: side(cluster, d.to, edge) };
    });
}

/** Request traffic: `rate` flows/s at a weekday peak, following the load cycle. */
export function* requestFlows(
  cluster: ClusterModel,
  rng: Rng,
  start: number,
  rate: number,
  seed: number,
  options: ShapeOptions,
): Generator<FlowRecord> {
  const { edges, cumulative } = resolveEdges(cluster);
  const { load, rejectRate } = cluster.topology;
  const lambdaMax = (rate * maxLoadFactor(load)) / 1000;
  let t = start;
  for (;;) {
    t += rng.exp(lambdaMax);
    if (rng.next() * maxLoadFactor(load) >= loadFactor(load, seed, t)) continue;
    const edge = edges[pickIndex(cumulative, rng.next())] as ResolvedEdge;
    const src = pickEnd(edge.from, rng);
    let dst = pickEnd(edge.to, rng);
    // A pod never calls itself through its own Service in this model; pick the next replica.
    if (dst === src && edge.to.kind === 'pods' && edge.to.pods.length > 1) {
      dst = edge.to.pods[(edge.to.pods.indexOf(dst as PodModel) + 1) % edge.to.pods.length] as PodModel;
    }
    const proto = edge.spec.proto ?? 'tcp';
    const rejected = proto === 'tcp' && rng.chance(rejectRate);
    yield makeFlow(
      {
        ts: t,
        src,
        dst,
        dstPort: edge.spec.port,
        proto,
        bytes: rng.logNormal(edge.spec.bytes.median, edge.spec.bytes.sigma),
        durationMs: rng.logNormal(edge.spec.durationMs.median, edge.spec.durationMs.sigma),
        outcome: rejected ? 'rejected' : 'established',
        label: 'normal',
      },
      rng,
      options,
    );
  }
}

/** Prometheus scrapes: every pod with a metrics port, every interval, each target at its own phase. */
export function* scrapeFlows(
  cluster: ClusterModel,
  rng: Rng,
  start: number,
  options: ShapeOptions,
): Generator<FlowRecord> {
  const scrape = cluster.topology.scrape;
  if (!scrape) return;
  const scrapers = cluster.workloads.get(scrape.from)?.pods;
  if (!scrapers)
    throw new ForesightError('sim-invalid-topology', `scrape.from: unknown workload ${scrape.from}`);
  const interval = scrape.intervalMs;
  const jitter = Math.min(20, interval / 10);
  interface Job {
    scraper: PodModel;
    target: PodModel;
    base: number;
    at: number;
  }
  const jobs: Job[] = [];
  for (const scraper of scrapers) {
    for (const target of cluster.pods) {
      if (target.workload.spec.metricsPort === undefined || target === scraper) continue;
      const base = start + rng.next() * interval;
      jobs.push({ scraper, target, base, at: base });
    }
  }
  if (jobs.length === 0) return;
  // Few targets (tens): a linear scan for the next due job is simpler than a heap and as fast.
  for (;;) {
    let next = jobs[0] as Job;
    for (const j of jobs) if (j.at < next.at) next = j;
    yield makeFlow(
      {
        ts: next.at,
        src: next.scraper,
        dst: next.target,
        dstPort: next.target.workload.spec.metricsPort as number,
        proto: 'tcp',
        bytes: rng.logNormal(14000, 0.25),
        durationMs: rng.logNormal(25, 0.5),
        outcome: 'established',
        label: 'normal',
      },
      rng,
      options,
    );
    next.base += interval;
    // Jitter stays far below half the interval, so a job's times never go backwards.
    next.at = next.base + rng.uniform(-jitter, jitter);
  }
}

/** The misconfigured clients of `topology.denied`: Poisson attempts, denied by policy. */
export function* deniedFlows(
  cluster: ClusterModel,
  rng: Rng,
  start: number,
  options: ShapeOptions,
): Generator<FlowRecord> {
  const resolved = deniedSides(cluster);
  if (resolved.length === 0) return;
  const perMs = resolved.map((r) => r.spec.perHour / 3_600_000);
  const total = perMs.reduce((a, b) => a + b, 0);
  let t = start;
  for (;;) {
    t += rng.exp(total);
    let u = rng.next() * total;
    let i = 0;
    while (i < perMs.length - 1 && u >= (perMs[i] as number)) u -= perMs[i++] as number;
    const r = resolved[i] as (typeof resolved)[number];
    yield makeFlow(
      {
        ts: t,
        src: pickEnd(r.from, rng),
        dst: pickEnd(r.to, rng),
        dstPort: r.spec.port,
        proto: 'tcp',
        bytes: 0,
        // The client retransmits its SYN for a while before giving up.
        durationMs: rng.chance(0.5) ? 3000 : 0,
        outcome: 'attempt',
        action: 'deny',
        label: 'normal',
      },
      rng,
      options,
    );
  }
}
