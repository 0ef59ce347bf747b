/**
 * From a verdict's (or an incident's) anonymization tokens to cluster objects: the controller
 * holds the anonymization key, reveals each token to its address, and finds the pod behind the
 * address in its Pod informer. Raw addresses (anonymization off) pass through as they are.
 */
import { isIP } from 'node:net';
import { isToken, type AddressAnonymizer } from '../../flows/anonymizer.js';
import type { Pod } from '../k8s/pods.js';
import type { Party, Resolved } from '../threatpolicy/matching.js';
import { uniquePods } from '../threatpolicy/matching.js';

/** The informer lookups resolution needs; tests pass a fake. */
export interface ClusterView {
  podsByIp(ip: string): Pod[];
  podsOfWorkload(namespace: string, workload: string): Pod[];
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
}

export type Reveal = (token: string) => string | undefined;

/** Reveal through the anonymizer; undefined for anything that is neither a token nor an address. */
export function revealer(anonymizer: AddressAnonymizer): Reveal {
  return (token) => {
    const value = token.startsWith('ip:') ? token.slice(3) : token;
    if (isToken(value)) {
      try {
        return anonymizer.reveal(value);
      } catch {
        return undefined;
      }
    }
    return isIP(value) ? value : undefined;
  };
}

function livePod(pods: Pod[]): Pod | undefined {
  return (
    pods.find(
      (p) =>
        !p.metadata?.deletionTimestamp && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed',
    ) ?? pods[0]
  );
}

export function resolveParty(token: string, reveal: Reveal, view: ClusterView): Party {
  const ip = reveal(token);
  if (ip === undefined) return { token };
  const pod = livePod(view.podsByIp(ip));
  return pod ? { token, ip, pod } : { token, ip };
}

export function resolveAll(
  entity: { key: string; namespace?: string; workload?: string },
  addresses: readonly string[],
  targets: readonly string[],
  reveal: Reveal,
  view: ClusterView,
): Resolved {
  const entityParties = addresses.map((a) => resolveParty(a, reveal, view));
  // `ip:<token>` entities name their address in the key even when the address list is empty.
  if (entityParties.length === 0 && entity.key.startsWith('ip:')) {
    entityParties.push(resolveParty(entity.key, reveal, view));
  }
  // The pods behind the addresses the entity used; all of its workload's pods only when none resolve
  // (quarantining replicas that did nothing wrong is a last resort).
  const pods: Pod[] = entityParties.map((p) => p.pod).filter((p): p is Pod => p !== undefined);
  if (pods.length === 0 && entity.namespace && entity.workload) {
    pods.push(...view.podsOfWorkload(entity.namespace, entity.workload));
  }
  return {
    entityParties,
    entityPods: uniquePods(pods).filter((p) => !p.metadata?.deletionTimestamp),
    targetParties: targets.map((t) => resolveParty(t, reveal, view)),
  };
}
