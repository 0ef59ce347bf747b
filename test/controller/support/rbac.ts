/**
 * Runs the controller with exactly the permissions docs/examples/controller-rbac.yaml grants:
 * applies it, asks the API server for a token of its ServiceAccount (TokenRequest), and builds a
 * kubeconfig with that token. A missing permission then fails the tests as it would in a cluster.
 */
import { KubeConfig } from '@kubernetes/client-node';
import type { KubeClient, KubeObject } from '../../../src/controller/k8s/client.js';
import { isAlreadyExists } from '../../../src/controller/k8s/errors.js';
import type { Resource } from '../../../src/controller/k8s/resources.js';
import { RESOURCES } from '../../../src/controller/k8s/resources.js';
import { loadYamlDocs, type TestCluster } from './cluster.js';
import { eventually } from './wait.js';

export const RBAC_FILE = 'docs/examples/controller-rbac.yaml';
export const OPERATOR_NAMESPACE = 'foresight';

const rbac = (plural: string, kind: string, namespaced: boolean): Resource => ({
  group: 'rbac.authorization.k8s.io',
  version: 'v1',
  plural,
  kind,
  namespaced,
});

const KINDS: Record<string, Resource> = {
  ServiceAccount: {
    group: '',
    version: 'v1',
    plural: 'serviceaccounts',
    kind: 'ServiceAccount',
    namespaced: true,
  },
  ClusterRole: rbac('clusterroles', 'ClusterRole', false),
  ClusterRoleBinding: rbac('clusterrolebindings', 'ClusterRoleBinding', false),
  Role: rbac('roles', 'Role', true),
  RoleBinding: rbac('rolebindings', 'RoleBinding', true),
  Namespace: RESOURCES.namespaces,
};

export async function applyDocs(client: KubeClient, docs: KubeObject[]): Promise<void> {
  for (const doc of docs) {
    const resource = KINDS[doc.kind ?? ''];
    if (!resource) throw new Error(`no resource for kind ${doc.kind}`);
    try {
      await client.create(resource, doc);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
  }
}

/** A kubeconfig for the controller's ServiceAccount, holding only the documented RBAC. */
export async function controllerKubeConfig(cluster: TestCluster): Promise<KubeConfig> {
  const { client, env } = cluster;
  await applyDocs(client, [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: OPERATOR_NAMESPACE } }]);
  await applyDocs(client, loadYamlDocs(RBAC_FILE));
  const token = await eventually(
    async () => {
      const res = await client.request<{ status?: { token?: string } }>(
        'POST',
        `/api/v1/namespaces/${OPERATOR_NAMESPACE}/serviceaccounts/foresight-controller/token`,
        {
          body: {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { expirationSeconds: 3600 },
          },
        },
      );
      return res.status?.token;
    },
    30_000,
    200,
    'a ServiceAccount token',
  );
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: env.server, caData: Buffer.from(env.caPem).toString('base64') }],
    users: [{ name: 'foresight-controller', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'foresight-controller' }],
    currentContext: 'test',
  });
  return kc;
}
