/**
 * Builds the concrete cluster from a Topology and a seed: pods with names, labels, nodes and
 * addresses, ClusterIPs, external address pools, and the address → Kubernetes identity map.
 * Also resolves the entity references attacks and edges use (`namespace/workload`,
 * `namespace/pod-name`, an external's name, or a literal IPv4 address).
 */
import { ForesightError } from '../errors.js';
import type { K8sIdentity } from '../flows/flow-record.js';
import { intToIp, isIpv4, parseCidr, randomHostInAny } from './addresses.js';
import type { Rng } from './random.js';
import type { Topology, WorkloadSpec } from './topology.js';

/** One side of a flow. */
export interface Endpoint {
  ip: string;
  k8s?: K8sIdentity;
}

export interface PodModel extends Endpoint {
  k8s: K8sIdentity;
  name: string;
  node: string;
  workload: WorkloadModel;
}

export interface WorkloadModel {
  /** `namespace/name`. */
  key: string;
  spec: WorkloadSpec;
  serviceIp: string;
  pods: PodModel[];
}

export interface ExternalModel {
  name: string;
  addresses: string[];
  skew: number;
}

export interface ClusterModel {
  topology: Topology;
  workloads: Map<string, WorkloadModel>;
  pods: PodModel[];
  podByIp: Map<string, PodModel>;
  externals: Map<string, ExternalModel>;
  /** Every external address normal traffic uses: attacks pick "new" addresses outside it. */
  knownExternal: Set<string>;
}

// Kubernetes' rand.String alphabet: no vowels, no look-alike characters.
const K8S_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function k8sSuffix(rng: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += K8S_ALPHABET[rng.int(K8S_ALPHABET.length)];
  return s;
}

export function buildCluster(topology: Topology, rng: Rng): ClusterModel {
  const podBlock = parseCidr(topology.podCidr);
  const serviceBlock = parseCidr(topology.serviceCidr);
  if (topology.nodes < 1 || topology.nodes > podBlock.size / 256) {
    throw new ForesightError(
      'sim-invalid-topology',
      `${topology.nodes} nodes do not fit in ${topology.podCidr}`,
    );
  }
  const nextHost = new Array<number>(topology.nodes).fill(2);
  // .1 is the API server's ClusterIP and .10 is kept for kube-dns.
  const usedServiceIps = new Set<number>([serviceBlock.base + 1, serviceBlock.base + 10]);
  let dnsServiceTaken = false;
  const workloads = new Map<string, WorkloadModel>();
  const pods: PodModel[] = [];
  const podByIp = new Map<string, PodModel>();

  for (const spec of topology.workloads) {
    const key = `${spec.namespace}/${spec.name}`;
    if (workloads.has(key))
      throw new ForesightError('sim-invalid-topology', `workload ${key} is defined twice`);
    // kube-dns keeps its well-known ClusterIP (.10), like every kubeadm cluster.
    let svc = serviceBlock.base + 10;
    if (spec.name !== 'coredns' || dnsServiceTaken) {
      do svc = serviceBlock.base + 2 + rng.int(Math.min(serviceBlock.size - 4, 65000));
      while (usedServiceIps.has(svc));
    }
    if (spec.name === 'coredns') dnsServiceTaken = true;
    usedServiceIps.add(svc);
    const model: WorkloadModel = { key, spec, serviceIp: intToIp(svc), pods: [] };
    workloads.set(key, model);
    const templateHash = k8sSuffix(rng, 10);
    for (let i = 0; i < spec.replicas; i++) {
      const name =
        spec.kind === 'StatefulSet'
          ? `${spec.name}-${i}`
          : spec.kind === 'DaemonSet'
            ? `${spec.name}-${k8sSuffix(rng, 5)}`
            : `${spec.name}-${templateHash}-${k8sSuffix(rng, 5)}`;
      const nodeIndex = spec.kind === 'DaemonSet' ? i % topology.nodes : rng.int(topology.nodes);
      // Gaps between host numbers mimic addresses freed by pods that came and went.
      const host = (nextHost[nodeIndex] ?? 2) + rng.int(3);
      if (host > 254)
        throw new ForesightError('sim-invalid-topology', `node ${nodeIndex} ran out of pod addresses`);
      nextHost[nodeIndex] = host + 1;
      const ip = intToIp(podBlock.base + nodeIndex * 256 + host);
      const labels: Record<string, string> = {
        'app.kubernetes.io/name': spec.name,
        'app.kubernetes.io/part-of': spec.namespace,
        ...(spec.kind === 'Deployment' ? { 'pod-template-hash': templateHash } : {}),
        ...(spec.kind === 'StatefulSet' ? { 'statefulset.kubernetes.io/pod-name': name } : {}),
        ...spec.labels,
      };
      const k8s: K8sIdentity = Object.freeze({
        namespace: spec.namespace,
        pod: name,
        workload: spec.name,
        labels: Object.freeze(labels),
      });
      const pod: PodModel = { ip, k8s, name, node: `node-${nodeIndex + 1}`, workload: model };
      model.pods.push(pod);
      pods.push(pod);
      podByIp.set(ip, pod);
    }
  }

  const externals = new Map<string, ExternalModel>();
  const knownExternal = new Set<string>();
  for (const spec of topology.externals) {
    if (spec.name.includes('/'))
      throw new ForesightError('sim-invalid-topology', `external name ${spec.name} has a "/"`);
    const addresses = [...(spec.addresses ?? [])];
    if (spec.blocks && spec.count) {
      const blocks = spec.blocks.map(parseCidr);
      const seen = new Set(addresses);
      while (addresses.length < spec.count + (spec.addresses?.length ?? 0)) {
        const ip = randomHostInAny(blocks, rng);
        if (!seen.has(ip)) {
          seen.add(ip);
          addresses.push(ip);
        }
      }
    }
    if (addresses.length === 0)
      throw new ForesightError('sim-invalid-topology', `external ${spec.name} has no addresses`);
    for (const ip of addresses) {
      if (!isIpv4(ip))
        throw new ForesightError('sim-invalid-topology', `external ${spec.name}: bad address ${ip}`);
      knownExternal.add(ip);
    }
    externals.set(spec.name, { name: spec.name, addresses, skew: spec.skew ?? 1 });
  }
  return { topology, workloads, pods, podByIp, externals, knownExternal };
}

/** Pod IP → identity, plus ClusterIP → identity without `pod` (for collectors that see pre-DNAT addresses). */
export function identityMap(cluster: ClusterModel): Map<string, K8sIdentity> {
  const map = new Map<string, K8sIdentity>();
  for (const pod of cluster.pods) map.set(pod.ip, pod.k8s);
  for (const w of cluster.workloads.values()) {
    map.set(w.serviceIp, {
      namespace: w.spec.namespace,
      workload: w.spec.name,
      labels: { 'app.kubernetes.io/name': w.spec.name },
    });
  }
  return map;
}

/** One of the external's addresses; skew > 1 returns a few addresses much more often (heavy users). */
export function pickExternal(ext: ExternalModel, rng: Rng): string {
  const u = ext.skew === 1 ? rng.next() : Math.pow(rng.next(), ext.skew);
  return ext.addresses[Math.floor(u * ext.addresses.length)] as string;
}

/**
 * The endpoints a reference names: a workload's pods, one pod, an external's addresses, or a
 * literal address (a pod's identity is attached when the address is a pod's).
 */
export function resolveRef(cluster: ClusterModel, ref: string): Endpoint[] {
  if (isIpv4(ref)) {
    const pod = cluster.podByIp.get(ref);
    return [pod ?? { ip: ref }];
  }
  const workload = cluster.workloads.get(ref);
  if (workload) return workload.pods;
  const slash = ref.indexOf('/');
  if (slash > 0) {
    const ns = ref.slice(0, slash);
    const name = ref.slice(slash + 1);
    const pod = cluster.pods.find((p) => p.k8s.namespace === ns && p.name === name);
    if (pod) return [pod];
  }
  const ext = cluster.externals.get(ref);
  if (ext) return ext.addresses.map((ip) => ({ ip }));
  throw new ForesightError(
    'sim-unknown-entity',
    `unknown entity "${ref}" (expected namespace/workload, namespace/pod, an external name or an IPv4 address)`,
  );
}
