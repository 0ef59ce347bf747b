/** `foresight detector`: consume flows from NATS JetStream into window features (and scores). */
import { Command } from 'commander';
import { Detector } from '../detector/ingest/detector.js';
import { CountingDeadLetterSink, NatsDeadLetterSink } from '../detector/ingest/nats-dead-letters.js';
import { flowSubjects } from '../detector/ingest/jetstream.js';
import { IdentityIndex } from '../detector/ingest/identity-index.js';
import { buildPipeline } from '../detector/ingest/pipeline-factory.js';
import { startScoringRuntime } from '../detector/scoring/scoring-runtime.js';
import { withRetry } from '../detector/store/connect.js';
import { serveMetrics } from '../observability/metrics.js';
import { connectNats } from '../util/nats.js';
import { commandContext, type CommandContext } from './context.js';
import { loadKubeConfig } from '../controller/controller.js';
import { startPodEnricher } from '../controller/k8s/pod-enricher.js';
import { chainEnrichers } from '../flows/enrichment.js';
import { anonymizerFrom, enricherFrom, openFeatureStore, shutdownSignal } from './runtime.js';

interface DetectorOptions {
  nats?: string;
  partitions?: string;
  port?: string;
}

/** The Pod informer as the enrichment map (address → namespace, pod, workload, labels). */
async function watchPods(ctx: CommandContext, signal: AbortSignal) {
  const { controller } = ctx.config;
  ctx.logger.info('watching pods for enrichment', { namespaces: controller.namespaces });
  return startPodEnricher({
    kubeConfig: loadKubeConfig(controller.kubeconfig),
    logger: ctx.logger.child({ component: 'pod-enricher' }),
    namespaces: controller.namespaces,
    // Namespaces are cluster-scoped: read their criticality label only in cluster-wide mode.
    watchNamespaces: controller.watchNamespaces && controller.namespaces.length === 0,
    signal,
  });
}

export function detectorCommand(): Command {
  return new Command('detector')
    .summary('Consume flow logs from NATS into window features, score them, publish verdicts, retrain')
    .description(
      'Consume flow logs from NATS JetStream (stream FLOWS, subjects flows.<source>.<partition>): parse, ' +
        'enrich, anonymize, aggregate per-entity windows into PostgreSQL, ack once durable; malformed input ' +
        'goes to flows.dlq with the reason. Each durable batch is scored with the active models and verdicts ' +
        'are stored and published on foresight.verdicts.<namespace>; models are retrained periodically and ' +
        'after feedback (one replica at a time). Serves /metrics, /healthz and /readyz. Drains on SIGTERM.',
    )
    .option('--nats <url>', 'NATS server URL (overrides nats.url)')
    .option('--partitions <list>', 'comma-separated partitions this replica owns (default: all)')
    .option('--port <port>', 'port for /metrics and health (overrides http.port)')
    .action(async (opts: DetectorOptions, cmd: Command) => {
      const ctx = commandContext(cmd, {
        ...(opts.nats ? { nats: { url: opts.nats } } : {}),
        ...(opts.partitions ? { detector: { partitions: opts.partitions.split(',').map(Number) } } : {}),
        ...(opts.port ? { http: { port: Number(opts.port) } } : {}),
      });
      const { config, logger, registry } = ctx;
      const signal = shutdownSignal(ctx);
      const anonymizer = anonymizerFrom(ctx);
      const pods = config.enrichment.kubernetes ? await watchPods(ctx, signal) : undefined;
      const enricher = chainEnrichers([...(pods ? [pods.enricher] : []), enricherFrom(config)]);
      let ready = false;
      const http = await serveMetrics(registry, {
        host: config.http.host,
        port: config.http.port,
        health: { live: () => true, ready: () => ready && detector.isReady },
      });
      const nc = await connectNats(config.nats, { name: 'foresight-detector', logger });
      const store = await openFeatureStore(ctx, signal);
      store.startMaintenance();
      const identities = new IdentityIndex(config.scoring.entityCacheSize);
      const scoring = await startScoringRuntime({ config, logger, registry, nc, store, identities });
      const detector = new Detector({
        nc,
        sink: store,
        deadLetters: new CountingDeadLetterSink(
          new NatsDeadLetterSink(nc.jetstream(), flowSubjects(config.nats).deadLetters),
          registry,
        ),
        pipeline: (aggregator) =>
          buildPipeline(config, aggregator, { enricher, anonymizer, registry, identities }),
        ...(scoring.onWindows ? { onWindows: scoring.onWindows } : {}),
        config,
        logger,
        registry,
        retryWrite: (fn, abort) =>
          withRetry(fn, {
            logger,
            op: 'write features',
            backoff: config.store.connectRetry,
            signal: abort,
            url: config.store.url,
            registry,
          }),
      });
      ready = true;
      signal.addEventListener('abort', () => void detector.stop(), { once: true });
      try {
        await detector.start();
      } finally {
        await scoring.stop();
        await pods?.stop();
        await store.close();
        await nc.drain();
        await http.close();
        logger.info('detector stopped');
      }
    });
}
