/** Shared answers to identical GETs (response-cache.ts): reuse within the TTL, one computation for concurrent asks. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ResponseCache } from '../../../src/dashboard/server/response-cache.js';

describe('ResponseCache', () => {
  it('lets the first ask compute and the others, at the same time, wait for its answer', async () => {
    const cache = new ResponseCache(1000, () => 0);
    const first = await cache.take('k');
    assert.ok('fill' in first);
    const second = cache.take('k');
    first.fill('{"a":1}');
    assert.deepEqual(await second, { body: '{"a":1}' });
  });

  it('answers again within the TTL and computes afresh after it', async () => {
    let now = 0;
    const cache = new ResponseCache(1000, () => now);
    const first = await cache.take('k');
    if ('fill' in first) first.fill('x');
    now = 999;
    assert.deepEqual(await cache.take('k'), { body: 'x' });
    now = 1000;
    assert.ok('fill' in (await cache.take('k')));
  });

  it('shares no failure: those waiting compute their own answer, and so does the next ask', async () => {
    const cache = new ResponseCache(1000, () => 0);
    const first = await cache.take('k');
    const waiting = cache.take('k');
    if ('fill' in first) first.fill(undefined);
    assert.ok('fill' in (await waiting));
    assert.ok('fill' in (await cache.take('k')));
  });

  it('forgets everything when cleared (after a change)', async () => {
    const cache = new ResponseCache(1000, () => 0);
    const first = await cache.take('k');
    if ('fill' in first) first.fill('x');
    cache.clear();
    assert.ok('fill' in (await cache.take('k')));
  });

  it('keys answers apart', async () => {
    const cache = new ResponseCache(1000, () => 0);
    const a = await cache.take('a');
    if ('fill' in a) a.fill('A');
    assert.ok('fill' in (await cache.take('b')));
  });
});
