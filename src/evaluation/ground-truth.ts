/**
 * Ground truth of a labelled flow file, per entity, computed with the pipeline's own pieces
 * (enrichment, internal ranges, anonymizer, entity keys), so keys match the feature rows.
 *
 * Each entity key gets a host class from the flows it SENT (from the flows it received when it
 * never sent any): `malicious` if any is malicious (`isMaliciousLabel`), else `normal` if any is
 * labelled Normal/Benign, else `background` (CTU-13 "Background": unlabelled traffic, not verified
 * benign), else `unlabelled`. A host that received attack traffic is a victim, not malicious.
 * Malicious flow times are kept per sending entity for time-to-alert and the share after alert.
 */
import type { AddressAnonymizer } from '../flows/anonymizer.js';
import { enrich, type Enricher } from '../flows/enrichment.js';
import { openFlowFile } from '../flows/flow-file.js';
import { isMaliciousLabel, type FlowRecord } from '../flows/flow-record.js';
import { flowEntities } from '../detector/features/entities.js';
import type { CidrSet } from '../util/cidr.js';

export type HostClass = 'malicious' | 'normal' | 'background' | 'unlabelled';

export function labelClass(label: string | undefined): HostClass {
  if (label === undefined || label.trim() === '') return 'unlabelled';
  if (isMaliciousLabel(label)) return 'malicious';
  const l = label.toLowerCase();
  if (l.includes('background')) return 'background';
  if (l.includes('normal') || l.includes('benign') || l === '0') return 'normal';
  return 'unlabelled';
}

interface Tally {
  sent: Record<HostClass, number>;
  received: Record<HostClass, number>;
  /** Start times of malicious flows this entity sent, ascending once finished. */
  maliciousTimes: number[];
  labels: Map<string, number>;
}

export interface EntityTruth {
  key: string;
  hostClass: HostClass;
  sent: Record<HostClass, number>;
  received: Record<HostClass, number>;
  maliciousTimes: number[];
  /** The most frequent malicious labels it sent. */
  labels: string[];
}

export interface GroundTruth {
  entities: Map<string, EntityTruth>;
  flows: number;
  byClass: Record<HostClass, number>;
}

const empty = (): Record<HostClass, number> => ({ malicious: 0, normal: 0, background: 0, unlabelled: 0 });

export class GroundTruthBuilder {
  private readonly tallies = new Map<string, Tally>();
  private flows = 0;
  private readonly byClass = empty();

  constructor(
    private readonly parts: { enricher: Enricher; anonymizer: AddressAnonymizer; internal: CidrSet },
  ) {}

  /** Adds raw flows (before enrichment and anonymization; they are not modified). */
  add(flows: readonly FlowRecord[]): void {
    const { enricher, anonymizer, internal } = this.parts;
    for (const raw of flows) {
      const flow = enrich({ ...raw }, enricher);
      const dstInternal = flow.dstK8s === undefined && internal.contains(flow.dst);
      flow.src = anonymizer.anonymize(flow.src);
      flow.dst = anonymizer.anonymize(flow.dst);
      const { source, destination } = flowEntities(flow, dstInternal, ['source', 'destination']);
      const cls = labelClass(flow.label);
      this.flows++;
      this.byClass[cls]++;
      if (source) {
        const t = this.tally(source.entity);
        t.sent[cls]++;
        if (cls === 'malicious') {
          t.maliciousTimes.push(flow.ts);
          t.labels.set(flow.label!, (t.labels.get(flow.label!) ?? 0) + 1);
        }
      }
      if (destination) this.tally(destination.entity).received[cls]++;
    }
  }

  private tally(key: string): Tally {
    let t = this.tallies.get(key);
    if (!t) {
      t = { sent: empty(), received: empty(), maliciousTimes: [], labels: new Map() };
      this.tallies.set(key, t);
    }
    return t;
  }

  finish(): GroundTruth {
    const entities = new Map<string, EntityTruth>();
    for (const [key, t] of this.tallies) {
      const basis = Object.values(t.sent).some((n) => n > 0) ? t.sent : t.received;
      const hostClass: HostClass =
        basis.malicious > 0
          ? 'malicious'
          : basis.normal > 0
            ? 'normal'
            : basis.background > 0
              ? 'background'
              : 'unlabelled';
      entities.set(key, {
        key,
        hostClass,
        sent: t.sent,
        received: t.received,
        maliciousTimes: t.maliciousTimes.sort((a, b) => a - b),
        labels: [...t.labels.entries()]
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([l]) => l),
      });
    }
    return { entities, flows: this.flows, byClass: { ...this.byClass } };
  }
}

/** Adds every flow of a file to a builder. */
export async function addFileTo(builder: GroundTruthBuilder, path: string, format?: string): Promise<void> {
  const file = await openFlowFile(path, format ? { format } : {});
  try {
    for await (const batch of file.batches()) builder.add(batch.flows);
  } finally {
    await file.close();
  }
}

/** Reads a whole flow file into a GroundTruth. */
export async function groundTruthOfFile(
  path: string,
  parts: ConstructorParameters<typeof GroundTruthBuilder>[0],
  format?: string,
): Promise<GroundTruth> {
  const builder = new GroundTruthBuilder(parts);
  await addFileTo(builder, path, format);
  return builder.finish();
}
