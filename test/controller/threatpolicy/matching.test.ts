/** Which side of a verdict a policy protects, and what a response acts on. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATION_QUARANTINE } from '../../../src/controller/k8s/pods.js';
import {
  geometry,
  inScope,
  touchedNamespaces,
  type Resolved,
} from '../../../src/controller/threatpolicy/matching.js';
import { party, pod } from '../support/fixtures.js';

const scope = { namespace: 'shop', selector: { matchLabels: { app: 'api' } } };
const api = pod('shop', 'api-0', { app: 'api' }, '10.0.0.10');
const db = pod('shop', 'db-0', { app: 'db' }, '10.0.0.20');
const other = pod('other', 'api-0', { app: 'api' }, '10.0.1.10');

const resolved = (entity: ReturnType<typeof party>[], targets: ReturnType<typeof party>[]): Resolved => ({
  entityParties: entity,
  entityPods: entity.map((e) => e.pod).filter((p) => p !== undefined),
  targetParties: targets,
});

const cases = [
  {
    name: 'an inside source talking out: cut its egress to its targets, quarantine it',
    kind: 'source' as const,
    r: resolved([party('tA', '10.0.0.10', api)], [party('tX', '203.0.113.9')]),
    want: {
      entityInside: true,
      direction: 'Egress',
      protectedPods: ['api-0'],
      remote: ['tX'],
      suspectPods: ['api-0'],
      suspectParties: [],
    },
  },
  {
    name: 'an inside destination under attack: cut ingress from its outside peers',
    kind: 'destination' as const,
    r: resolved([party('tA', '10.0.0.10', api)], [party('tX', '203.0.113.9'), party('tD', '10.0.0.20', db)]),
    want: {
      entityInside: true,
      direction: 'Ingress',
      protectedPods: ['api-0'],
      remote: ['tX', 'tD'],
      suspectPods: [],
      suspectParties: ['tX', 'tD'],
    },
  },
  {
    name: 'an outside source attacking protected pods: cut ingress from it',
    kind: 'source' as const,
    r: resolved([party('tX', '203.0.113.9')], [party('tA', '10.0.0.10', api), party('tD', '10.0.0.20', db)]),
    want: {
      entityInside: false,
      direction: 'Ingress',
      protectedPods: ['api-0'],
      remote: ['tX'],
      suspectPods: [],
      suspectParties: ['tX'],
    },
  },
  {
    name: 'protected pods talking to a bad outside destination: cut their egress, quarantine them',
    kind: 'destination' as const,
    r: resolved([party('tX', '203.0.113.9')], [party('tA', '10.0.0.10', api)]),
    want: {
      entityInside: false,
      direction: 'Egress',
      protectedPods: ['api-0'],
      remote: ['tX'],
      suspectPods: ['api-0'],
      suspectParties: [],
    },
  },
];

describe('geometry', () => {
  for (const c of cases) {
    it(c.name, () => {
      const g = geometry(c.kind, c.r, scope);
      assert.ok(g);
      assert.deepEqual(
        {
          entityInside: g.entityInside,
          direction: g.direction,
          protectedPods: g.protectedPods.map((p) => p.metadata?.name),
          remote: g.remote.map((p) => p.token),
          suspectPods: g.suspectPods.map((p) => p.metadata?.name),
          suspectParties: g.suspectParties.map((p) => p.token),
        },
        c.want,
      );
    });
  }

  it('does not cover a verdict whose pods are unselected or in another namespace', () => {
    assert.equal(
      geometry('source', resolved([party('tX', '203.0.113.9')], [party('tD', '10.0.0.20', db)]), scope),
      undefined,
    );
    assert.equal(
      geometry('source', resolved([party('tO', '10.0.1.10', other)], [party('tX', '203.0.113.9')]), scope),
      undefined,
    );
  });

  it('judges a quarantined pod by the labels it had before', () => {
    const detached = pod('shop', 'api-1', { 'foresight.dev/quarantine': 'guard' }, '10.0.0.11', {
      [ANNOTATION_QUARANTINE]: JSON.stringify({
        incident: 'shop/i',
        labels: { app: 'api' },
        detached: ['app'],
        at: 'x',
      }),
    });
    assert.equal(inScope(detached, scope), true);
  });

  it('lists the namespaces a verdict touches', () => {
    const r = resolved(
      [party('tO', '10.0.1.10', other)],
      [party('tA', '10.0.0.10', api), party('tX', '203.0.113.9')],
    );
    assert.deepEqual([...touchedNamespaces('other', r)].sort(), ['other', 'shop']);
  });
});
