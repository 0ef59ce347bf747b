/**
 * Building blocks commands assemble: the feature store (opened with retry and migrated), the
 * enrichment map and the anonymizer, all from the validated configuration.
 */
import type { Config } from '../config/schema.js';
import { FeatureStore } from '../detector/store/feature-store.js';
import { openStore } from '../detector/store/connect.js';
import { createAnonymizer } from '../flows/anonymizer-key.js';
import type { AddressAnonymizer } from '../flows/anonymizer.js';
import { StaticEnricher, noEnrichment, type Enricher } from '../flows/enrichment.js';
import type { CommandContext } from './context.js';

export async function openFeatureStore(ctx: CommandContext, signal?: AbortSignal): Promise<FeatureStore> {
  const db = await openStore(ctx.config.store, { logger: ctx.logger, registry: ctx.registry, signal });
  const store = new FeatureStore(db, ctx.config.store, { logger: ctx.logger, registry: ctx.registry });
  await store.migrate();
  return store;
}

export function enricherFrom(config: Config): Enricher {
  return config.enrichment.staticMapFile
    ? StaticEnricher.fromFile(config.enrichment.staticMapFile)
    : noEnrichment;
}

export function anonymizerFrom(ctx: CommandContext): AddressAnonymizer {
  return createAnonymizer(ctx.config.anonymization, ctx.logger);
}

/** Resolves on the first SIGINT/SIGTERM; aborts the returned signal so loops and retries stop. */
export function shutdownSignal(ctx: CommandContext): AbortSignal {
  const controller = new AbortController();
  const stop = (sig: string) => {
    if (controller.signal.aborted) return;
    ctx.logger.info(`received ${sig}: draining`);
    controller.abort();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return controller.signal;
}
