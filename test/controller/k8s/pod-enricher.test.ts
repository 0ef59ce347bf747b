import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RESOURCES } from '../../../src/controller/k8s/resources.js';
import { startPodEnricher } from '../../../src/controller/k8s/pod-enricher.js';
import { chainEnrichers, StaticEnricher } from '../../../src/flows/enrichment.js';
import { silentLogger } from '../../../src/observability/logger.js';
import { createNamespace, createPod, startCluster, type TestCluster } from '../support/cluster.js';
import { eventually } from '../support/wait.js';

describe('the detector enrichment map from the Pod informer [integration]', () => {
  let cluster: TestCluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => cluster?.stop());

  it('[integration] maps pod addresses to namespace, pod, workload and labels, and follows changes', async () => {
    const { client, kubeConfig } = cluster;
    await createNamespace(client, 'shop');
    await createNamespace(client, 'other');
    await createPod(
      client,
      'shop',
      'api-0',
      { app: 'api', 'foresight.dev/criticality': 'high' },
      '10.244.1.7',
    );
    await createPod(client, 'other', 'db-0', { app: 'db' }, '10.244.2.9');
    const abort = new AbortController();
    const pods = await startPodEnricher({
      kubeConfig,
      logger: silentLogger(),
      namespaces: ['shop'],
      signal: abort.signal,
    });
    try {
      assert.deepEqual(pods.enricher.lookup('10.244.1.7'), {
        namespace: 'shop',
        pod: 'api-0',
        workload: 'api-0',
        labels: { app: 'api', 'foresight.dev/criticality': 'high' },
      });
      // Only the watched namespaces are seen.
      assert.equal(pods.enricher.lookup('10.244.2.9'), undefined);

      await client.patch(RESOURCES.pods, 'shop', 'api-0', {
        metadata: { labels: { app: 'api', tier: 'web' } },
      });
      await eventually(() => pods.enricher.lookup('10.244.1.7')?.labels?.tier === 'web');
      await client.delete(RESOURCES.pods, 'shop', 'api-0');
      await eventually(() => pods.enricher.lookup('10.244.1.7') === undefined);

      // The detector asks the informer first and its static map second.
      const staticMap = new StaticEnricher(new Map([['192.0.2.1', { namespace: 'edge', workload: 'lb' }]]));
      const chain = chainEnrichers([pods.enricher, staticMap]);
      assert.equal(chain.lookup('192.0.2.1')?.workload, 'lb');
      assert.equal(chain.lookup('203.0.113.5'), undefined);
    } finally {
      abort.abort();
      await pods.stop();
    }
  });

  it("[integration] cluster-wide, a pod without a criticality label inherits its namespace's", async () => {
    const { client, kubeConfig } = cluster;
    await createNamespace(client, 'pay', { 'foresight.dev/criticality': 'high' });
    await createPod(client, 'pay', 'ledger-0', { app: 'ledger' }, '10.244.3.4');
    await createPod(
      client,
      'pay',
      'docs-0',
      { app: 'docs', 'foresight.dev/criticality': 'low' },
      '10.244.3.5',
    );
    const abort = new AbortController();
    const pods = await startPodEnricher({
      kubeConfig,
      logger: silentLogger(),
      watchNamespaces: true,
      signal: abort.signal,
    });
    try {
      const criticality = (ip: string) => pods.enricher.lookup(ip)?.labels?.['foresight.dev/criticality'];
      await eventually(() => criticality('10.244.3.4') === 'high');
      assert.deepEqual(pods.enricher.lookup('10.244.3.4')?.labels, {
        app: 'ledger',
        'foresight.dev/criticality': 'high',
      });
      // The pod's own label wins over the namespace's.
      assert.equal(criticality('10.244.3.5'), 'low');
      // The namespace's label follows changes.
      await client.patch(RESOURCES.namespaces, undefined, 'pay', {
        metadata: { labels: { 'foresight.dev/criticality': 'medium' } },
      });
      await eventually(() => criticality('10.244.3.4') === 'medium');
    } finally {
      abort.abort();
      await pods.stop();
    }
  });
});
