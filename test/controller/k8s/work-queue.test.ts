/** The work queue's guarantees, with time stepped by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue, type Timers } from '../../../src/controller/k8s/work-queue.js';

class FakeTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.pending.delete(h as number);
  advance(ms: number): void {
    this.t += ms;
    for (const [id, p] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (p.at <= this.t) {
        this.pending.delete(id);
        p.fn();
      }
    }
  }
}

const queue = (timers = new FakeTimers()) => ({
  q: new WorkQueue('test', { backoff: { initialMs: 100, maxMs: 1000 }, timers, random: () => 1 }),
  timers,
});

describe('WorkQueue', () => {
  it('processes a key added several times once', async () => {
    const { q } = queue();
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.depth, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
  });

  it('never hands out a key that is in flight; one added meanwhile comes back after done()', async () => {
    const { q } = queue();
    q.add('a');
    const first = await q.get();
    q.add('a');
    assert.equal(q.depth, 0, 'not queued while in flight');
    const next = q.get();
    let handed: string | undefined;
    void next.then((k) => (handed = k));
    await Promise.resolve();
    assert.equal(handed, undefined);
    q.done(first!);
    assert.equal(await next, 'a');
  });

  it('backs off a failing key exponentially, capped, and forgets after a success', () => {
    const { q } = queue();
    assert.deepEqual(
      [1, 2, 3, 4, 5].map(() => q.addRateLimited('k')),
      [100, 200, 400, 800, 1000],
    );
    assert.equal(q.retries('k'), 5);
    q.forget('k');
    assert.equal(q.addRateLimited('k'), 100);
  });

  it('adds a key after a delay, keeping the earliest request', async () => {
    const { q, timers } = queue();
    q.addAfter('a', 500);
    q.addAfter('a', 200);
    q.addAfter('a', 900);
    timers.advance(199);
    assert.equal(q.depth, 0);
    timers.advance(1);
    assert.equal(q.depth, 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    timers.advance(1000);
    assert.equal(q.depth, 0, 'the later requests were folded into the earliest');
  });

  it('runs reconciles, retries failures and honours requeueAfter', async () => {
    const { q, timers } = queue();
    const seen: string[] = [];
    let fail = true;
    const errors: string[] = [];
    const run = q.run(
      2,
      async (key) => {
        await Promise.resolve();
        seen.push(key);
        if (key === 'bad' && fail) {
          fail = false;
          throw new Error('boom');
        }
        return key === 'ttl' ? { requeueAfterMs: 300 } : undefined;
      },
      (key) => errors.push(key),
    );
    q.add('bad');
    q.add('ttl');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(errors, ['bad']);
    timers.advance(100);
    await new Promise((r) => setImmediate(r));
    timers.advance(200);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen.sort(), ['bad', 'bad', 'ttl', 'ttl']);
    q.shutDown();
    await run;
  });

  it('stops handing out keys on shutdown and drops pending delays', async () => {
    const { q, timers } = queue();
    q.addAfter('later', 100);
    const waiting = q.get();
    q.shutDown();
    assert.equal(await waiting, undefined);
    timers.advance(200);
    q.add('x');
    assert.equal(q.depth, 0);
  });
});
