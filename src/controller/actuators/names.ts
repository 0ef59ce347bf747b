/**
 * Names and labels of what the controller creates, derived deterministically from the policy
 * and entity, so a restarted controller finds (rather than duplicates) what it made before.
 */
import { createHash } from 'node:crypto';
import { LABEL_POLICY, MANAGED_BY } from '../k8s/resources.js';

export function shortHash(text: string, length = 10): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** A label value naming the policy: its name when it fits (63 characters), else a hash. */
export function policyLabelValue(policyName: string): string {
  return policyName.length <= 63 && LABEL_VALUE.test(policyName)
    ? policyName
    : `h-${shortHash(policyName, 20)}`;
}

/** `<prefix>-<name>` within the 253-character limit of object names (a hash keeps it unique). */
export function childName(prefix: string, name: string, max = 253): string {
  const full = `${prefix}-${name}`;
  if (full.length <= max) return full;
  return `${full.slice(0, max - 11)}-${shortHash(full)}`;
}

/** One incident per policy and entity: the name is derived from both. */
export function incidentName(policyName: string, entityKind: string, entityKey: string): string {
  const readable = entityKey
    .toLowerCase()
    .replace(/^ip:/, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const base = `${policyName.slice(0, 60)}-${readable || 'entity'}`.replace(/-+$/g, '');
  return `${base}-${shortHash(`${policyName}\0${entityKind}\0${entityKey}`, 8)}`;
}

export function managedLabels(
  policyName: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return { ...MANAGED_BY, [LABEL_POLICY]: policyLabelValue(policyName), ...extra };
}
