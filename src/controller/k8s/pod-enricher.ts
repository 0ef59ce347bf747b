/**
 * The detector's enrichment map served from the controller's Pod informer: address → namespace,
 * pod, workload and labels. A detector process can run one on its own (startPodEnricher).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Enricher } from '../../flows/enrichment.js';
import type { K8sIdentity } from '../../flows/flow-record.js';
import type { Logger } from '../../observability/logger.js';
import { KubeClient } from './client.js';
import { Informer } from './informer.js';
import { POD_INDEXERS, podIps, workloadOf, type Pod } from './pods.js';
import { RESOURCES } from './resources.js';

export class PodEnricher implements Enricher {
  constructor(private readonly pods: Informer<Pod>) {}

  lookup(address: string): K8sIdentity | undefined {
    const candidates = this.pods.byIndex('ip', address);
    // Completed pods keep their address after a new pod took it over: prefer a live one.
    const pod =
      candidates.find(
        (p) =>
          p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp,
      ) ?? candidates[0];
    if (!pod) return undefined;
    return {
      namespace: pod.metadata?.namespace ?? '',
      pod: pod.metadata?.name ?? '',
      workload: workloadOf(pod),
      labels: { ...(pod.metadata?.labels ?? {}) },
    };
  }

  /** Addresses known, for diagnostics. */
  get size(): number {
    let n = 0;
    for (const pod of this.pods.list()) n += podIps(pod).length;
    return n;
  }
}

export interface PodEnricherOptions {
  kubeConfig: KubeConfig;
  logger: Logger;
  namespaces?: readonly string[];
  backoff?: { initialMs: number; maxMs: number };
  signal?: AbortSignal;
}

/** Starts a Pod informer and resolves with an enricher over it once the informer has synced. */
export async function startPodEnricher(
  options: PodEnricherOptions,
): Promise<{ enricher: PodEnricher; stop: () => Promise<void> }> {
  const client = new KubeClient(options.kubeConfig, { fieldManager: 'foresight-detector' });
  const informer = new Informer<Pod>({
    name: 'pods',
    resource: RESOURCES.pods,
    client,
    kubeConfig: options.kubeConfig,
    logger: options.logger,
    namespaces: options.namespaces ?? [],
    backoff: options.backoff ?? { initialMs: 500, maxMs: 30_000 },
    indexers: { ip: POD_INDEXERS.ip },
  });
  informer.start();
  await informer.waitForSync(options.signal);
  return {
    enricher: new PodEnricher(informer),
    stop: async () => {
      await informer.stop();
      client.close();
    },
  };
}
