/**
 * The simulated cluster as the controller's pure code sees a real one: Pod objects (names,
 * labels, owner references, addresses) built from the simulator's cluster model, behind the
 * ClusterView lookups that token resolution and eligibility use. A flow file without a cluster
 * gets an empty view: every entity is then an outside address.
 */
import type { ClusterView } from '../../controller/incidents/resolve.js';
import type { Pod } from '../../controller/k8s/pods.js';
import type { ClusterModel } from '../../sim/index.js';

export interface SimClusterView extends ClusterView {
  namespaces(): string[];
}

export function simClusterView(cluster: ClusterModel | undefined): SimClusterView {
  const byIp = new Map<string, Pod[]>();
  const byWorkload = new Map<string, Pod[]>();
  const namespaces = new Set<string>();
  for (const p of cluster?.pods ?? []) {
    const ns = p.k8s.namespace;
    namespaces.add(ns);
    const hash = p.k8s.labels?.['pod-template-hash'];
    const kind = p.workload.spec.kind;
    const owner =
      kind === 'Deployment' && hash
        ? {
            apiVersion: 'apps/v1',
            kind: 'ReplicaSet',
            name: `${p.workload.spec.name}-${hash}`,
            uid: `uid-${p.workload.key}`,
            controller: true,
          }
        : {
            apiVersion: 'apps/v1',
            kind,
            name: p.workload.spec.name,
            uid: `uid-${p.workload.key}`,
            controller: true,
          };
    const pod: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: p.name,
        namespace: ns,
        labels: { ...(p.k8s.labels ?? {}) },
        ownerReferences: [owner],
        uid: `uid-${ns}-${p.name}`,
      },
      spec: { nodeName: p.node },
      status: { podIP: p.ip, podIPs: [{ ip: p.ip }], phase: 'Running' },
    };
    byIp.set(p.ip, [...(byIp.get(p.ip) ?? []), pod]);
    const wl = `${ns}/${p.workload.spec.name}`;
    byWorkload.set(wl, [...(byWorkload.get(wl) ?? []), pod]);
  }
  return {
    podsByIp: (ip) => byIp.get(ip) ?? [],
    podsOfWorkload: (namespace, workload) => byWorkload.get(`${namespace}/${workload}`) ?? [],
    namespaceLabels: (namespace) =>
      namespaces.has(namespace) ? { 'kubernetes.io/metadata.name': namespace } : undefined,
    namespaces: () => [...namespaces].sort(),
  };
}
