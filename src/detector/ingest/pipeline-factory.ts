/**
 * Builds the aggregator and the per-flow pipeline from configuration, the same way for the NATS
 * detector, the offline `features` command, evaluation and the demo.
 */
import type { Config } from '../../config/schema.js';
import type { AddressAnonymizer } from '../../flows/anonymizer.js';
import type { Enricher } from '../../flows/enrichment.js';
import type { Registry } from '../../observability/metrics.js';
import { CidrSet } from '../../util/cidr.js';
import type { AggregatorOptions, WindowAggregator } from '../features/aggregator.js';
import { FlowPipeline } from './flow-pipeline.js';
import type { IdentityIndex } from './identity-index.js';

export function aggregatorOptions(features: Config['features']): AggregatorOptions {
  return {
    bucketMs: features.bucketSeconds * 1000,
    windowMs: features.windowSeconds * 1000,
    latenessMs: features.allowedLatenessSeconds * 1000,
    idleFlushMs: features.idleFlushSeconds * 1000,
    peerHistoryMs: features.peerHistorySeconds * 1000,
  };
}

export interface PipelineParts {
  enricher: Enricher;
  anonymizer: AddressAnonymizer;
  registry: Registry;
  identities?: IdentityIndex;
}

export function buildPipeline(
  config: Config,
  aggregator: WindowAggregator,
  parts: PipelineParts,
): FlowPipeline {
  return new FlowPipeline({
    ...parts,
    internal: new CidrSet(config.features.internalCidrs),
    kinds: config.features.entities,
    aggregator,
  });
}
