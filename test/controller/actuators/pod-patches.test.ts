/** Quarantine and rate-limit patches: what they change, and that reverting restores exactly. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  keysToDetach,
  quarantinePatch,
  rateLimitPatch,
  rateLimitReleasePatch,
  releasePatch,
  type MergePatch,
} from '../../../src/controller/actuators/pod-patches.js';
import type { Pod } from '../../../src/controller/k8s/pods.js';
import { pod } from '../support/fixtures.js';

/** Applies a JSON merge patch's metadata to a pod, as the API server would. */
function apply(p: Pod, patch: MergePatch): Pod {
  const merge = (
    base: Record<string, string> | undefined,
    delta: Record<string, string | null> | undefined,
  ) => {
    const out = { ...(base ?? {}) };
    for (const [k, v] of Object.entries(delta ?? {})) {
      if (v === null) delete out[k];
      else out[k] = v;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  };
  const labels = merge(p.metadata?.labels, patch.metadata.labels);
  const annotations = merge(p.metadata?.annotations, patch.metadata.annotations);
  return {
    ...p,
    metadata: {
      ...p.metadata,
      ...(labels ? { labels } : { labels: undefined }),
      ...(annotations ? { annotations } : { annotations: undefined }),
    },
  };
}

const LABELS = { app: 'web', tier: 'front', 'pod-template-hash': '5d8f', version: 'v1' };

describe('pod patches', () => {
  it('detaches the label keys of every selector that matches the pod, and only those', () => {
    const p = pod('shop', 'web-1', LABELS);
    const keys = keysToDetach(p, [
      { matchLabels: { app: 'web', 'pod-template-hash': '5d8f' } },
      { matchLabels: { app: 'web' } },
      { matchLabels: { app: 'other' }, matchExpressions: [{ key: 'version', operator: 'Exists' }] },
      { matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
    ]);
    assert.deepEqual(keys, ['app', 'pod-template-hash', 'tier']);
  });

  it('quarantines with the originals recorded, and release restores the pod exactly', () => {
    const p = pod('shop', 'web-1', LABELS, '10.0.0.1', { 'prometheus.io/scrape': 'true' });
    const patch = quarantinePatch(
      p,
      'shop/i1',
      'guard',
      ['app', 'pod-template-hash', 'tier'],
      Date.parse('2026-01-05T10:00:00Z'),
    );
    assert.ok(patch);
    assert.equal(patch.metadata.resourceVersion, '7');
    const quarantined = apply(p, patch);
    assert.deepEqual(quarantined.metadata?.labels, { version: 'v1', 'foresight.dev/quarantine': 'guard' });
    assert.equal(
      quarantinePatch(quarantined, 'shop/i1', 'guard', ['version'], 0),
      undefined,
      'never re-quarantined over its own labels',
    );
    const released = apply(quarantined, releasePatch(quarantined)!);
    assert.deepEqual(released.metadata?.labels, LABELS);
    assert.deepEqual(released.metadata?.annotations, { 'prometheus.io/scrape': 'true' });
    assert.equal(releasePatch(released), undefined);
  });

  it('rate-limits with bandwidth annotations and puts the previous values back', () => {
    const p = pod('shop', 'w-0', { app: 'w' }, '10.0.0.2', { 'kubernetes.io/egress-bandwidth': '100M' });
    const limited = apply(p, rateLimitPatch(p, 'shop/i2', { ingress: '1M', egress: '2M' })!);
    assert.equal(limited.metadata?.annotations?.['kubernetes.io/ingress-bandwidth'], '1M');
    assert.equal(limited.metadata?.annotations?.['kubernetes.io/egress-bandwidth'], '2M');
    assert.equal(
      rateLimitPatch(limited, 'shop/i2', { ingress: '1M', egress: '2M' }),
      undefined,
      'nothing to change',
    );
    assert.equal(
      rateLimitPatch(limited, 'shop/other', { ingress: '5M' }),
      undefined,
      'another incident holds it',
    );
    const lifted = apply(limited, rateLimitReleasePatch(limited)!);
    assert.deepEqual(lifted.metadata?.annotations, { 'kubernetes.io/egress-bandwidth': '100M' });
  });
});
