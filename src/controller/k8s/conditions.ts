/**
 * metav1.Condition handling: set a condition keeping its lastTransitionTime unless its status
 * flips, so a status that did not change compares equal and is not rewritten.
 */
import type { Condition } from '../threatpolicy/crd-types.js';

export interface ConditionInput {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
}

/** Conditions with `next` applied, ordered by type for stable output. */
export function setConditions(
  existing: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  generation: number | undefined,
  now: Date,
): Condition[] {
  const byType = new Map((existing ?? []).map((c) => [c.type, c]));
  for (const input of next) {
    const prev = byType.get(input.type);
    const lastTransitionTime =
      prev && prev.status === input.status
        ? prev.lastTransitionTime
        : now.toISOString().replace(/\.\d{3}Z$/, 'Z');
    byType.set(input.type, {
      type: input.type,
      status: input.status,
      reason: input.reason,
      // Kubernetes 1.20 reads an empty string in a required field of a custom resource as null.
      message: truncate(input.message || input.reason, 32000),
      lastTransitionTime,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    });
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Deep equality for JSON values: decides whether a status or an object needs writing. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => jsonEqual(ao[k], bo[k]));
}

/** RFC 3339 with milliseconds, for the controller's own date-time fields (TTLs compare at that precision). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Epoch ms of a date-time field; undefined when absent or unparsable. */
export function parseTime(value: string | Date | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}
