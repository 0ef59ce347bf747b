/**
 * What the ingest pipeline learned about who is behind an entity or an address token, for
 * scoring: Kubernetes identity and labels (the `foresight.dev/criticality` label feeds the
 * impact part of the threat score). Feature rows carry only keys and tokens; this bounded map
 * remembers the identity seen most recently for each, forgetting the least recently seen beyond
 * `capacity` (an entry is refreshed whenever a flow shows it again).
 */
import type { K8sIdentity } from '../../flows/flow-record.js';

export interface KnownIdentity {
  namespace: string;
  workload?: string;
  labels: Readonly<Record<string, string>>;
}

export class IdentityIndex {
  private readonly byEntity = new Map<string, KnownIdentity>();
  private readonly byToken = new Map<string, KnownIdentity>();

  constructor(readonly capacity = 100_000) {}

  /** Records that entity `entityKey` (and address token `token`) is `id`. */
  note(entityKey: string, token: string, id: K8sIdentity): void {
    const known: KnownIdentity = {
      namespace: id.namespace,
      ...((id.workload ?? id.pod) ? { workload: id.workload ?? id.pod } : {}),
      labels: id.labels ?? {},
    };
    this.put(this.byEntity, entityKey, known);
    this.put(this.byToken, token, known);
  }

  entity(entityKey: string): KnownIdentity | undefined {
    return this.byEntity.get(entityKey);
  }

  /** The identity behind an address token, or an `ip:<token>` / `<ns>/<workload>` peer key. */
  peer(peer: string): KnownIdentity | undefined {
    return this.byToken.get(peer.startsWith('ip:') ? peer.slice(3) : peer) ?? this.byEntity.get(peer);
  }

  get size(): number {
    return this.byEntity.size;
  }

  private put(map: Map<string, KnownIdentity>, key: string, value: KnownIdentity): void {
    const old = map.get(key);
    if (old !== undefined) {
      map.delete(key);
      // Same identity object shape: keep the old one to avoid churn, refresh its recency.
      if (
        old.namespace === value.namespace &&
        old.workload === value.workload &&
        old.labels === value.labels
      ) {
        map.set(key, old);
        return;
      }
    }
    map.set(key, value);
    if (map.size > this.capacity) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
