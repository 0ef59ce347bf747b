/**
 * A real Kubernetes API server for a controller test file (one per file: kube-env.ts), with the
 * Foresight CRDs installed first (the garbage collector notices new CRDs only every 30 s), and
 * helpers to make namespaces and pods. There is no kubelet: pods stay Pending, so tests give
 * them addresses through the status subresource, as a kubelet would.
 */
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import yaml from 'js-yaml';
import { KubeClient, type KubeObject } from '../../../src/controller/k8s/client.js';
import { isAlreadyExists, isKubeError } from '../../../src/controller/k8s/errors.js';
import type { Pod } from '../../../src/controller/k8s/pods.js';
import { RESOURCES, type Resource } from '../../../src/controller/k8s/resources.js';
import { startKubeEnv, type KubeEnv } from '../../support/kube-env.js';
import { eventually } from './wait.js';

export const CRD_FILES = [
  'crds/foresight.dev_threatpolicies.yaml',
  'crds/foresight.dev_threatincidents.yaml',
];

export interface TestCluster {
  env: KubeEnv;
  kubeConfig: KubeConfig;
  client: KubeClient;
  stop(): Promise<void>;
}

export function kubeConfigFor(env: Pick<KubeEnv, 'kubeconfigPath'>): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(env.kubeconfigPath);
  return kc;
}

export async function startCluster(): Promise<TestCluster> {
  const env = await startKubeEnv();
  const kubeConfig = kubeConfigFor(env);
  const client = new KubeClient(kubeConfig, { fieldManager: 'foresight-test' });
  try {
    await applyCrds(client);
  } catch (err) {
    await env.stop();
    throw err;
  }
  return {
    env,
    kubeConfig,
    client,
    stop: async () => {
      client.close();
      await env.stop();
    },
  };
}

export function loadYamlDocs(path: string): KubeObject[] {
  return yaml
    .loadAll(readFileSync(path, 'utf8'))
    .filter((d): d is KubeObject => typeof d === 'object' && d !== null);
}

/** Creates the CRDs (or leaves them) and waits until both are Established and served. */
export async function applyCrds(client: KubeClient): Promise<void> {
  for (const file of CRD_FILES) {
    for (const crd of loadYamlDocs(file)) {
      try {
        await client.create(RESOURCES.crds, crd);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
    }
  }
  await eventually(async () => {
    for (const name of ['threatpolicies.foresight.dev', 'threatincidents.foresight.dev']) {
      const crd = await client.get<
        KubeObject & { status?: { conditions?: { type: string; status: string }[] } }
      >(RESOURCES.crds, undefined, name);
      if (!crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return false;
    }
    // Just after establishment the endpoints can answer 429/404 for a moment.
    await client.list(RESOURCES.threatPolicies, 'default');
    await client.list(RESOURCES.threatIncidents, 'default');
    return true;
  }, 30_000);
}

export async function createNamespace(
  client: KubeClient,
  name: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await client.create(RESOURCES.namespaces, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels },
  });
}

export async function createObject<T extends KubeObject>(
  client: KubeClient,
  resource: Resource,
  obj: T,
): Promise<T> {
  return client.create(resource, obj);
}

export function podSpec(name: string, namespace: string, labels: Record<string, string>): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: {
      automountServiceAccountToken: false,
      containers: [{ name: 'app', image: 'registry.invalid/app:1' }],
    },
  } as Pod;
}

/** Gives a pod an address and the Running phase, as its kubelet would. */
export async function setPodIp(
  client: KubeClient,
  namespace: string,
  name: string,
  ip: string,
): Promise<Pod> {
  return client.patch<Pod>(
    RESOURCES.pods,
    namespace,
    name,
    { status: { phase: 'Running', podIP: ip, podIPs: [{ ip }] } },
    { subresource: 'status' },
  );
}

export async function createPod(
  client: KubeClient,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ip: string,
): Promise<Pod> {
  // In a fresh namespace the ServiceAccount admission plugin refuses pods until the controller
  // manager has made the `default` ServiceAccount.
  await eventually(
    async () => {
      try {
        await client.create(RESOURCES.pods, podSpec(name, namespace, labels));
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
      }
      return true;
    },
    30_000,
    200,
    `pod ${namespace}/${name}`,
  );
  return setPodIp(client, namespace, name, ip);
}

/** True when the error is the API server refusing an object as invalid. */
export function isInvalid(err: unknown): boolean {
  return isKubeError(err, 'k8s-invalid');
}
