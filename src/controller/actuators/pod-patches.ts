/**
 * The pod changes behind Quarantine and RateLimit, as pure merge patches. Each carries the
 * pod's resourceVersion, so a patch built from a stale cache fails with a conflict instead of
 * overwriting a concurrent change; and each records the pod's original values in an annotation
 * so the revert restores them exactly — and so a retried quarantine never mistakes its own
 * labels for the originals.
 */
import { isoTime } from '../k8s/conditions.js';
import {
  ANNOTATION_QUARANTINE,
  ANNOTATION_RATE_LIMIT,
  BANDWIDTH_EGRESS,
  BANDWIDTH_INGRESS,
  LABEL_QUARANTINE,
  quarantineRecord,
  rateLimitRecord,
  type Pod,
  type QuarantineRecord,
  type RateLimitRecord,
} from '../k8s/pods.js';
import { matchesSelector, selectorKeys, type Selector } from '../k8s/selectors.js';
import type { Bandwidth } from '../threatpolicy/crd-types.js';

export interface MergePatch {
  metadata: {
    resourceVersion?: string;
    labels?: Record<string, string | null>;
    annotations?: Record<string, string | null>;
  };
}

/**
 * Label keys to detach: those of every selector that currently matches the pod (its owner's,
 * Services', other NetworkPolicies'), so none of them still covers it once quarantined.
 */
export function keysToDetach(pod: Pod, selectors: readonly Selector[]): string[] {
  const labels = pod.metadata?.labels ?? {};
  const keys = new Set<string>();
  for (const s of selectors) {
    if (!matchesSelector(s, labels)) continue;
    for (const k of selectorKeys(s)) if (k in labels && k !== LABEL_QUARANTINE) keys.add(k);
  }
  return [...keys].sort();
}

/** The quarantine patch, or undefined when the pod is already quarantined (by anyone). */
export function quarantinePatch(
  pod: Pod,
  incident: string,
  quarantineLabel: string,
  detach: readonly string[],
  now: number,
): MergePatch | undefined {
  if (quarantineRecord(pod)) return undefined;
  const original = { ...(pod.metadata?.labels ?? {}) };
  const record: QuarantineRecord = { incident, labels: original, detached: [...detach], at: isoTime(now) };
  const labels: Record<string, string | null> = {};
  for (const k of detach) labels[k] = null;
  labels[LABEL_QUARANTINE] = quarantineLabel;
  return {
    metadata: {
      resourceVersion: pod.metadata?.resourceVersion,
      labels,
      annotations: { [ANNOTATION_QUARANTINE]: JSON.stringify(record) },
    },
  };
}

/** Puts the detached labels back as they were and removes every trace of the quarantine. */
export function releasePatch(pod: Pod): MergePatch | undefined {
  const record = quarantineRecord(pod);
  if (!record) return undefined;
  const labels: Record<string, string | null> = {};
  for (const k of record.detached) labels[k] = record.labels[k] ?? null;
  if (!(LABEL_QUARANTINE in record.labels)) labels[LABEL_QUARANTINE] = null;
  return {
    metadata: {
      resourceVersion: pod.metadata?.resourceVersion,
      labels,
      annotations: { [ANNOTATION_QUARANTINE]: null },
    },
  };
}

/** Bandwidth annotations for a rate limit; undefined when the pod already carries exactly these. */
export function rateLimitPatch(pod: Pod, incident: string, bandwidth: Bandwidth): MergePatch | undefined {
  const annotations = pod.metadata?.annotations ?? {};
  const existing = rateLimitRecord(pod);
  if (existing && existing.incident !== incident) return undefined;
  const want: Record<string, string | null> = {};
  if (bandwidth.ingress) want[BANDWIDTH_INGRESS] = bandwidth.ingress;
  if (bandwidth.egress) want[BANDWIDTH_EGRESS] = bandwidth.egress;
  const record: RateLimitRecord = existing ?? {
    incident,
    original: {
      ingress: annotations[BANDWIDTH_INGRESS] ?? null,
      egress: annotations[BANDWIDTH_EGRESS] ?? null,
    },
  };
  const same = existing && Object.entries(want).every(([k, v]) => annotations[k] === v);
  if (same) return undefined;
  return {
    metadata: {
      resourceVersion: pod.metadata?.resourceVersion,
      annotations: { ...want, [ANNOTATION_RATE_LIMIT]: JSON.stringify(record) },
    },
  };
}

export function rateLimitReleasePatch(pod: Pod): MergePatch | undefined {
  const record = rateLimitRecord(pod);
  if (!record) return undefined;
  return {
    metadata: {
      resourceVersion: pod.metadata?.resourceVersion,
      annotations: {
        [BANDWIDTH_INGRESS]: record.original.ingress,
        [BANDWIDTH_EGRESS]: record.original.egress,
        [ANNOTATION_RATE_LIMIT]: null,
      },
    },
  };
}
