/**
 * Enrichment: maps an address to the Kubernetes identity behind it (namespace, pod, workload,
 * labels) before anonymization replaces the address. The controller's Pod informer implements
 * this in a cluster; a static map (file or simulator) implements it elsewhere.
 */
import { readFileSync } from 'node:fs';
import yaml from 'js-yaml';
import { ForesightError } from '../errors.js';
import type { FlowRecord, K8sIdentity } from './flow-record.js';

export interface Enricher {
  lookup(address: string): K8sIdentity | undefined;
}

export const noEnrichment: Enricher = { lookup: () => undefined };

export class StaticEnricher implements Enricher {
  constructor(private readonly map: ReadonlyMap<string, K8sIdentity>) {}

  lookup(address: string): K8sIdentity | undefined {
    return this.map.get(address);
  }

  get size(): number {
    return this.map.size;
  }

  /** Reads `{ "<ip>": { namespace, pod, workload, labels } }` from a YAML or JSON file. */
  static fromFile(path: string): StaticEnricher {
    let parsed: unknown;
    try {
      parsed = yaml.load(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ForesightError('enrichment-file', `cannot read enrichment map ${path}`, { cause: err });
    }
    if (typeof parsed !== 'object' || parsed === null) {
      throw new ForesightError(
        'enrichment-file',
        `enrichment map ${path} must be an object keyed by address`,
      );
    }
    const map = new Map<string, K8sIdentity>();
    for (const [address, value] of Object.entries(parsed as Record<string, unknown>)) {
      const id = value as Partial<K8sIdentity> | null;
      if (!id || typeof id.namespace !== 'string') {
        throw new ForesightError(
          'enrichment-file',
          `enrichment map ${path}: entry ${address} needs a namespace`,
        );
      }
      map.set(address, id as K8sIdentity);
    }
    return new StaticEnricher(map);
  }
}

/** Asks each enricher in turn; the first that knows the address answers. */
export function chainEnrichers(enrichers: readonly Enricher[]): Enricher {
  if (enrichers.length === 1) return enrichers[0]!;
  return {
    lookup: (address) => {
      for (const e of enrichers) {
        const id = e.lookup(address);
        if (id) return id;
      }
      return undefined;
    },
  };
}

/** Fills in the identities a collector did not provide. Mutates and returns the record. */
export function enrich(flow: FlowRecord, enricher: Enricher): FlowRecord {
  if (!flow.srcK8s) {
    const id = enricher.lookup(flow.src);
    if (id) flow.srcK8s = id;
  }
  if (!flow.dstK8s) {
    const id = enricher.lookup(flow.dst);
    if (id) flow.dstK8s = id;
  }
  return flow;
}
