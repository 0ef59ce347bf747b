/**
 * The detector's pipeline without NATS: a flow file → features in the store. Used by
 * `foresight features`, by evaluation and by tests that compare an online run with an offline
 * one. Same adapters, enrichment, anonymization, windows and writes as the detector.
 */
import type { Config } from '../../config/schema.js';
import type { DeadLetterSink } from '../../flows/dead-letter.js';
import { openFlowFile } from '../../flows/flow-file.js';
import { WindowAggregator } from '../features/aggregator.js';
import type { FeatureStore } from '../store/feature-store.js';
import { aggregatorOptions, buildPipeline, type PipelineParts } from './pipeline-factory.js';

export interface OfflineSummary {
  format: string;
  lines: number;
  flows: number;
  late: number;
  deadLetters: Record<string, number>;
  skipped: Record<string, number>;
  windows: number;
  entities: number;
  firstEvent?: number;
  lastEvent?: number;
}

export interface OfflineOptions extends PipelineParts {
  config: Config;
  store: FeatureStore;
  deadLetters: DeadLetterSink;
  format?: string;
  /** Called after each batch with lines read so far, for a progress bar. */
  onProgress?: (linesRead: number) => void;
}

export async function extractFeatures(path: string, opts: OfflineOptions): Promise<OfflineSummary> {
  const file = await openFlowFile(path, opts.format ? { format: opts.format } : {});
  const aggregator = new WindowAggregator(aggregatorOptions(opts.config.features));
  const pipeline = buildPipeline(opts.config, aggregator, opts);
  const summary: OfflineSummary = {
    format: file.format.name,
    lines: 0,
    flows: 0,
    late: 0,
    deadLetters: {},
    skipped: {},
    windows: 0,
    entities: 0,
  };
  const entities = new Set<string>();
  const write = async () => {
    const { rows, newPeers } = aggregator.advance();
    if (rows.length === 0 && newPeers.length === 0) return;
    await opts.store.writeWindows({ rows, newPeers });
    summary.windows += rows.length;
    for (const r of rows) entities.add(`${r.kind}:${r.entity}`);
  };
  try {
    for await (const batch of file.batches()) {
      summary.lines += batch.lines;
      for (const f of batch.flows) {
        if (summary.firstEvent === undefined || f.ts < summary.firstEvent) summary.firstEvent = f.ts;
        if (summary.lastEvent === undefined || f.ts > summary.lastEvent) summary.lastEvent = f.ts;
      }
      const outcome = pipeline.ingest(batch.flows, { format: batch.format });
      summary.flows += outcome.added;
      summary.late += outcome.late.length;
      const letters = [...batch.deadLetters, ...outcome.late];
      for (const l of letters) summary.deadLetters[l.reason] = (summary.deadLetters[l.reason] ?? 0) + 1;
      for (const [k, n] of Object.entries(batch.skipped)) summary.skipped[k] = (summary.skipped[k] ?? 0) + n;
      if (letters.length > 0) await opts.deadLetters.put(letters);
      await write();
      opts.onProgress?.(summary.lines);
    }
    aggregator.endOfStream();
    await write();
  } finally {
    await file.close();
  }
  summary.entities = entities.size;
  return summary;
}
