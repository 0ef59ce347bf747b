/**
 * Kubernetes label selectors, evaluated the way the API server does: every matchLabels entry and
 * every expression must hold; an empty selector matches everything; a missing one, nothing.
 */

export interface SelectorRequirement {
  key: string;
  operator: string;
  values?: string[];
}

export interface Selector {
  matchLabels?: Record<string, string>;
  matchExpressions?: SelectorRequirement[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

export function matchesSelector(selector: Selector | undefined, labels: Labels): boolean {
  if (!selector) return false;
  const have = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (have[k] !== v) return false;
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.prototype.hasOwnProperty.call(have, req.key);
    const value = have[req.key];
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || !values.includes(value!)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(value!)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** True for `{}` (or no selector): it selects every pod, whatever its labels. */
export function selectsEverything(selector: Selector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length + (selector?.matchExpressions ?? []).length === 0;
}

/** Label keys a selector looks at: the labels whose removal can change whether it matches. */
export function selectorKeys(selector: Selector | undefined): string[] {
  if (!selector) return [];
  return [
    ...new Set([
      ...Object.keys(selector.matchLabels ?? {}),
      ...(selector.matchExpressions ?? []).map((r) => r.key),
    ]),
  ];
}

/** A service's or ReplicaSet's plain `selector: {k: v}` as a Selector. */
export function mapSelector(selector: Record<string, string> | undefined): Selector | undefined {
  return selector && Object.keys(selector).length > 0 ? { matchLabels: selector } : undefined;
}

/** `k=v,k2 in (a,b)` for the labelSelector query parameter. */
export function selectorString(selector: Selector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const r of selector.matchExpressions ?? []) {
    const values = (r.values ?? []).join(',');
    if (r.operator === 'In') parts.push(`${r.key} in (${values})`);
    else if (r.operator === 'NotIn') parts.push(`${r.key} notin (${values})`);
    else if (r.operator === 'Exists') parts.push(r.key);
    else if (r.operator === 'DoesNotExist') parts.push(`!${r.key}`);
  }
  return parts.join(',');
}
