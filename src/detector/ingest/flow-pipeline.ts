/**
 * The per-flow path shared by the NATS detector and the offline `features` command:
 * late check → enrich (raw address → Kubernetes identity) → decide internal destination →
 * anonymize → entities → window aggregation. Raw addresses go no further than this function.
 */
import type { DeadLetter } from '../../flows/dead-letter.js';
import type { AddressAnonymizer } from '../../flows/anonymizer.js';
import { enrich, type Enricher } from '../../flows/enrichment.js';
import type { FlowRecord } from '../../flows/flow-record.js';
import { counter, gauge, type Registry } from '../../observability/metrics.js';
import type { CidrSet } from '../../util/cidr.js';
import type { WindowAggregator } from '../features/aggregator.js';
import { entityOf, flowEntities } from '../features/entities.js';
import type { EntityKind } from '../store/types.js';
import type { IdentityIndex } from './identity-index.js';

export interface PipelineDeps {
  enricher: Enricher;
  anonymizer: AddressAnonymizer;
  internal: CidrSet;
  kinds: readonly EntityKind[];
  aggregator: WindowAggregator;
  registry: Registry;
  /** Remembers the identity behind entities and tokens for scoring (impact from criticality). */
  identities?: IdentityIndex;
}

export interface IngestOutcome {
  /** Last window end the added flows feed (−Infinity when none was added). */
  releaseAt: number;
  added: number;
  /** Re-read flows already counted in final windows. */
  done: number;
  late: DeadLetter[];
}

export class FlowPipeline {
  private readonly flowsTotal;
  private readonly lateTotal;
  private readonly watermarkGauge;

  constructor(private readonly deps: PipelineDeps) {
    this.flowsTotal = counter(
      deps.registry,
      'foresight_flows_ingested_total',
      'Flows added to feature windows',
      ['format'],
    );
    this.lateTotal = counter(
      deps.registry,
      'foresight_flows_late_total',
      'Flows behind the watermark, dead-lettered',
    );
    this.watermarkGauge = gauge(
      deps.registry,
      'foresight_watermark_timestamp_seconds',
      'Event-time watermark of window aggregation',
    );
  }

  ingest(
    flows: readonly FlowRecord[],
    opts: { format: string; replayed?: boolean; subject?: string },
  ): IngestOutcome {
    const { aggregator, anonymizer, enricher, internal, kinds } = this.deps;
    const out: IngestOutcome = { releaseAt: -Infinity, added: 0, done: 0, late: [] };
    const replayed = opts.replayed ?? false;
    for (const flow of flows) {
      const verdict = aggregator.classify(flow.ts, replayed);
      if (verdict === 'done') {
        out.done++;
        continue;
      }
      if (verdict === 'late') {
        out.late.push(this.lateLetter(flow, opts));
        continue;
      }
      enrich(flow, enricher);
      const dstInternal = flow.dstK8s === undefined && internal.contains(flow.dst);
      // The scan test's monitored network (ADR 0015): internal ranges, workloads, and destinations
      // the collector reports as the local side (ingress: Zeek local_resp, VPC/NSG inbound).
      const monitored = dstInternal || flow.dstK8s !== undefined || flow.direction === 'ingress';
      flow.src = anonymizer.anonymize(flow.src);
      flow.dst = anonymizer.anonymize(flow.dst);
      const { source, destination } = flowEntities(flow, dstInternal, kinds);
      if (this.deps.identities) this.noteIdentities(flow);
      const target = monitored
        ? (destination ?? entityOf('destination', flow.dst, flow.dstK8s)).entity
        : undefined;
      aggregator.add(flow, source, destination, replayed, target);
      out.added++;
      const end = aggregator.lastWindowEnd(flow.ts);
      if (end > out.releaseAt) out.releaseAt = end;
    }
    if (out.added > 0) this.flowsTotal.inc({ format: opts.format }, out.added);
    if (out.late.length > 0) this.lateTotal.inc(out.late.length);
    if (Number.isFinite(aggregator.watermark)) this.watermarkGauge.set(aggregator.watermark / 1000);
    return out;
  }

  private noteIdentities(flow: FlowRecord): void {
    const index = this.deps.identities!;
    if (flow.srcK8s) index.note(entityOf('source', flow.src, flow.srcK8s).entity, flow.src, flow.srcK8s);
    if (flow.dstK8s) index.note(entityOf('destination', flow.dst, flow.dstK8s).entity, flow.dst, flow.dstK8s);
  }

  /** The raw record (before enrichment and anonymization) with why it was refused. */
  private lateLetter(flow: FlowRecord, opts: { format: string; subject?: string }): DeadLetter {
    const watermark = this.deps.aggregator.watermark;
    return {
      reason: 'late',
      detail: `event time ${new Date(flow.ts).toISOString()} is behind the watermark ${new Date(watermark).toISOString()}`,
      format: opts.format,
      subject: opts.subject,
      raw: JSON.stringify(flow),
    };
  }
}
