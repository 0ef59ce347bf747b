/**
 * A controller in its own process, for tests that kill it. Usage (spawned by the tests):
 *   node --import tsx test/controller/support/child-controller.ts '<json>'
 * with {kubeconfigPath, ids, identity, killAfter?}. With killAfter "pod-patch" it SIGKILLs itself
 * right after its first successful pod patch — mid-action: the pod is changed, the incident's
 * status does not say so yet. Prints "ready" once it consumes verdicts.
 */
import { KubeConfig } from '@kubernetes/client-node';
import { connect } from 'nats';
import { Controller } from '../../../src/controller/controller.js';
import { KubeClient, type KubeObject, type PatchType } from '../../../src/controller/k8s/client.js';
import type { Resource } from '../../../src/controller/k8s/resources.js';
import { createRegistry } from '../../../src/observability/metrics.js';
import { anonymizer, openTestDb, testConfig, testLogger, waitForConsumer, type TestIds } from './harness.js';

interface ChildArgs {
  kubeconfigPath: string;
  ids: TestIds;
  identity: string;
  killAfter?: 'pod-patch';
}

class KillingClient extends KubeClient {
  constructor(
    kc: KubeConfig,
    private readonly killAfter: ChildArgs['killAfter'],
  ) {
    super(kc, { fieldManager: 'foresight-controller' });
  }

  override async patch<T extends KubeObject>(
    r: Resource,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    options: { type?: PatchType; subresource?: string } = {},
  ): Promise<T> {
    const result = await super.patch<T>(r, namespace, name, patch, options);
    if (this.killAfter === 'pod-patch' && r.plural === 'pods') process.kill(process.pid, 'SIGKILL');
    return result;
  }
}

const args = JSON.parse(process.argv[2] ?? '{}') as ChildArgs;
const kubeConfig = new KubeConfig();
kubeConfig.loadFromFile(args.kubeconfigPath);
const config = testConfig(args.kubeconfigPath, args.ids, { identity: args.identity });
const logger = testLogger();
const nats = await connect({ servers: config.nats.url });
const db = await openTestDb(args.ids, logger);
const controller = new Controller({
  config,
  logger,
  registry: createRegistry({ defaultMetrics: false }),
  kubeConfig,
  client: new KillingClient(kubeConfig, args.killAfter),
  nats,
  db,
  anonymizer,
});
process.once('SIGTERM', () => {
  void controller
    .stop()
    .then(() => nats.drain())
    .then(() => db.close());
});
await controller.start();
await waitForConsumer(nats, config);
process.stdout.write('ready\n');
