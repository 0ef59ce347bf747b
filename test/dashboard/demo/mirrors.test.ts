/**
 * The dashboard's in-memory copies of what the demo worker stores: incidents (answered with the
 * store's order, filters and limits) and the flow sample (an entity's newest flows).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredIncident } from '../../../src/detector/store/incident-store.js';
import type { StoredFlow } from '../../../src/detector/store/flow-samples.js';
import { ForesightError } from '../../../src/errors.js';
import { FlowSampleMirror } from '../../../src/dashboard/demo/flow-mirror.js';
import { IncidentMirror } from '../../../src/dashboard/demo/incident-mirror.js';

function incident(key: string, updatedAt: number, phase?: string, entity = `e-${key}`): StoredIncident {
  return {
    key,
    policy: 'shop/default',
    spec: { policyRef: { name: 'default' }, entity: { kind: 'source', key: entity }, release: false },
    status: phase ? { phase: phase as 'Open' } : {},
    createdAt: 0,
    updatedAt,
  };
}

describe('IncidentMirror', () => {
  const mirror = new IncidentMirror();
  mirror.apply([
    incident('shop/a', 10, 'Open'),
    incident('shop/b', 30, 'Mitigated'),
    incident('shop/c', 20),
    incident('shop/d', 30, 'Released', 'shop/api'),
  ]);
  // A later write of the same incident replaces it.
  mirror.apply([incident('shop/a', 40, 'Mitigated')]);

  const cases: { name: string; query: Parameters<IncidentMirror['list']>[0]; keys: string[] }[] = [
    {
      name: 'most recently updated first, then by key',
      query: {},
      keys: ['shop/a', 'shop/b', 'shop/d', 'shop/c'],
    },
    { name: 'phases (no phase reads as Open)', query: { phases: ['Open'] }, keys: ['shop/c'] },
    {
      name: 'several phases',
      query: { phases: ['Mitigated', 'Released'] },
      keys: ['shop/a', 'shop/b', 'shop/d'],
    },
    { name: 'one entity', query: { entity: 'shop/api' }, keys: ['shop/d'] },
    { name: 'a limit', query: { limit: 2 }, keys: ['shop/a', 'shop/b'] },
    { name: 'a limit below one counts as one', query: { limit: 0 }, keys: ['shop/a'] },
  ];
  for (const c of cases) {
    it(`lists by ${c.name}`, async () => {
      assert.deepEqual(
        (await mirror.list(c.query)).map((i) => i.key),
        c.keys,
      );
    });
  }

  it('gets one incident, or fails as the store does', async () => {
    assert.equal((await mirror.get('shop/a')).status.phase, 'Mitigated');
    await assert.rejects(
      mirror.get('shop/zz'),
      (err: unknown) => err instanceof ForesightError && err.code === 'incident-not-found',
    );
  });
});

describe('FlowSampleMirror', () => {
  const flow = (ts: number, src: string, dst?: string): StoredFlow => ({
    ts,
    src: 't4:00000001',
    dst: 't4:00000002',
    proto: 6,
    action: 'allow',
    srcEntity: src,
    ...(dst ? { dstEntity: dst } : {}),
  });

  it("answers an entity's newest flows, as source or destination, within the range", async () => {
    const m = new FlowSampleMirror(3);
    m.apply([flow(1, 'a', 'b'), flow(2, 'b', 'c'), flow(3, 'a'), flow(4, 'c', 'a'), flow(5, 'a', 'a')]);
    const ts = async (e: string, from: number, to: number, limit?: number) =>
      (await m.forEntity(e, { from, to, ...(limit ? { limit } : {}) })).map((f) => f.ts);
    assert.deepEqual(await ts('a', 0, 10), [5, 4, 3]);
    assert.deepEqual(await ts('a', 0, 10, 2), [5, 4]);
    assert.deepEqual(await ts('a', 0, 4), [3, 1]);
    assert.deepEqual(await ts('b', 0, 10), [2, 1]);
    assert.deepEqual(await ts('nobody', 0, 10), []);
  });
});
