/**
 * The detector's enrichment map served from the controller's Pod informer: address → namespace,
 * pod, workload and labels. A detector process can run one on its own (startPodEnricher).
 *
 * Criticality is inherited: a pod without a `foresight.dev/criticality` label gets its namespace's
 * (when a Namespace informer runs: cluster-wide mode), so the detector's impact part sees what
 * the controller's impact floor sees (docs/adr/0012). The pod's own label wins.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { Enricher } from '../../flows/enrichment.js';
import type { K8sIdentity } from '../../flows/flow-record.js';
import type { Logger } from '../../observability/logger.js';
import { KubeClient } from './client.js';
import { Informer } from './informer.js';
import { LABEL_CRITICALITY, POD_INDEXERS, podIps, workloadOf, type Namespace, type Pod } from './pods.js';
import { RESOURCES } from './resources.js';

export class PodEnricher implements Enricher {
  constructor(
    private readonly pods: Informer<Pod>,
    private readonly namespaces?: Informer<Namespace>,
  ) {}

  lookup(address: string): K8sIdentity | undefined {
    const candidates = this.pods.byIndex('ip', address);
    // Completed pods keep their address after a new pod took it over: prefer a live one.
    const pod =
      candidates.find(
        (p) =>
          p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed' && !p.metadata?.deletionTimestamp,
      ) ?? candidates[0];
    if (!pod) return undefined;
    const namespace = pod.metadata?.namespace ?? '';
    const labels = { ...(pod.metadata?.labels ?? {}) };
    if (labels[LABEL_CRITICALITY] === undefined) {
      const inherited = this.namespaces?.get(undefined, namespace)?.metadata?.labels?.[LABEL_CRITICALITY];
      if (inherited !== undefined) labels[LABEL_CRITICALITY] = inherited;
    }
    return { namespace, pod: pod.metadata?.name ?? '', workload: workloadOf(pod), labels };
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
  /**
   * Also watch Namespaces for their criticality label (needs list/watch on namespaces, granted in
   * cluster-wide mode). Best effort: lookups work before it has synced, without the inherited label.
   */
  watchNamespaces?: boolean;
  backoff?: { initialMs: number; maxMs: number };
  signal?: AbortSignal;
}

/** Starts a Pod informer and resolves with an enricher over it once the informer has synced. */
export async function startPodEnricher(
  options: PodEnricherOptions,
): Promise<{ enricher: PodEnricher; stop: () => Promise<void> }> {
  const client = new KubeClient(options.kubeConfig, { fieldManager: 'foresight-detector' });
  const backoff = options.backoff ?? { initialMs: 500, maxMs: 30_000 };
  const informer = new Informer<Pod>({
    name: 'pods',
    resource: RESOURCES.pods,
    client,
    kubeConfig: options.kubeConfig,
    logger: options.logger,
    namespaces: options.namespaces ?? [],
    backoff,
    indexers: { ip: POD_INDEXERS.ip },
  });
  const namespaces = options.watchNamespaces
    ? new Informer<Namespace>({
        name: 'namespaces',
        resource: RESOURCES.namespaces,
        client,
        kubeConfig: options.kubeConfig,
        logger: options.logger,
        namespaces: [],
        backoff,
      })
    : undefined;
  informer.start();
  namespaces?.start();
  const stop = async () => {
    await Promise.all([informer.stop(), namespaces?.stop()]);
    client.close();
  };
  try {
    await informer.waitForSync(options.signal);
  } catch (err) {
    await stop();
    throw err;
  }
  return { enricher: new PodEnricher(informer, namespaces), stop };
}
