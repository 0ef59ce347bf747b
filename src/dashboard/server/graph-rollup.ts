/**
 * The connection graph kept in memory, per step, from the windows a writer feeds (the demo
 * worker): the same answer as dashboard-queries.ts `connectionGraph` gives from the store, without
 * the query — edges from each aligned source window's busiest peers, a peer address named by the
 * entity that used it (a destination entity first, then the first by name), nodes with the flows
 * they sent plus received. Steps older than `keepMs` are dropped: longer spans read the store.
 */
import { assembleGraph, type Graph, type GraphEdge } from '../../detector/store/dashboard-queries.js';
import type { EntityKind } from '../../detector/store/types.js';

/** An aligned window as fed (both kinds). */
export interface GraphWindow {
  kind: EntityKind;
  entity: string;
  namespace?: string;
  windowStart: number;
  flows: number;
  addresses?: readonly string[];
  topPeers?: readonly { peer: string; flows: number; bytes: number }[];
}

interface Step {
  edges: Map<string, { src: string; peer: string; flows: number; bytes: number }>;
  owners: Map<string, { entity: string; destination: boolean }>;
  nodes: Map<string, { namespace?: string; flows: number }>;
}

/** True when `a` names an address before `b` does (the store's DISTINCT ON order). */
function before(
  a: { entity: string; destination: boolean },
  b: { entity: string; destination: boolean },
): boolean {
  if (a.destination !== b.destination) return a.destination;
  return a.entity < b.entity;
}

export class GraphRollup {
  private readonly steps = new Map<number, Step>();
  /** Steps from here on were fed. */
  private fedFrom = Infinity;
  private newest = -Infinity;

  constructor(private readonly keepMs: number) {}

  feed(windows: readonly GraphWindow[]): void {
    for (const w of windows) {
      this.fedFrom = Math.min(this.fedFrom, w.windowStart);
      this.newest = Math.max(this.newest, w.windowStart);
      let step = this.steps.get(w.windowStart);
      if (!step)
        this.steps.set(w.windowStart, (step = { edges: new Map(), owners: new Map(), nodes: new Map() }));
      if (w.kind === 'source') {
        for (const p of w.topPeers ?? []) {
          const key = `${w.entity}\u0000${p.peer}`;
          const e = step.edges.get(key);
          if (e) {
            e.flows += p.flows;
            e.bytes += p.bytes;
          } else step.edges.set(key, { src: w.entity, peer: p.peer, flows: p.flows, bytes: p.bytes });
        }
      }
      const candidate = { entity: w.entity, destination: w.kind === 'destination' };
      for (const a of w.addresses ?? []) {
        const cur = step.owners.get(a);
        if (!cur || before(candidate, cur)) step.owners.set(a, candidate);
      }
      const node = step.nodes.get(w.entity);
      if (node) {
        node.flows += w.flows;
        if (w.namespace !== undefined && (node.namespace === undefined || w.namespace > node.namespace))
          node.namespace = w.namespace;
      } else
        step.nodes.set(w.entity, {
          flows: w.flows,
          ...(w.namespace === undefined ? {} : { namespace: w.namespace }),
        });
    }
    for (const t of this.steps.keys()) {
      if (t >= this.newest - this.keepMs) break;
      this.steps.delete(t);
      this.fedFrom = Math.max(this.fedFrom, t + 1);
    }
  }

  /** Whether [from, to) can be answered from memory. */
  covers(from: number): boolean {
    return from >= this.fedFrom && from >= this.newest - this.keepMs;
  }

  /** The graph over window starts in [from, to), with each node's highest threat from `threats`. */
  graph(from: number, to: number, maxEdges: number, threats: Map<string, number>): Graph {
    const edgeSums = new Map<string, { src: string; peer: string; flows: number; bytes: number }>();
    const owner = new Map<string, { entity: string; destination: boolean }>();
    const info = new Map<string, { namespace?: string; flows: number }>();
    for (const [t, step] of this.steps) {
      if (t < from || t >= to) continue;
      for (const [k, e] of step.edges) {
        const cur = edgeSums.get(k);
        if (cur) {
          cur.flows += e.flows;
          cur.bytes += e.bytes;
        } else edgeSums.set(k, { ...e });
      }
      for (const [a, o] of step.owners) {
        const cur = owner.get(a);
        if (!cur || before(o, cur)) owner.set(a, o);
      }
      for (const [id, n] of step.nodes) {
        const cur = info.get(id);
        if (!cur) info.set(id, { ...n });
        else {
          cur.flows += n.flows;
          if (n.namespace !== undefined && (cur.namespace === undefined || n.namespace > cur.namespace))
            cur.namespace = n.namespace;
        }
      }
    }
    const merged = new Map<string, GraphEdge>();
    for (const e of edgeSums.values()) {
      const target =
        owner.get(e.peer)?.entity ??
        (e.peer.includes('/') || e.peer.startsWith('ip:') ? e.peer : `ip:${e.peer}`);
      if (target === e.src) continue;
      const key = `${e.src}\u0000${target}`;
      const m = merged.get(key);
      if (m) {
        m.flows += e.flows;
        m.bytes += e.bytes;
      } else merged.set(key, { source: e.src, target, flows: e.flows, bytes: e.bytes });
    }
    return assembleGraph([...merged.values()], maxEdges, info, threats);
  }
}
