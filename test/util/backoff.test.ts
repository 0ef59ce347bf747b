import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Backoff, formatDelay, raceAbort, retry, systemClock, type Clock } from '../../src/util/backoff.js';
import { ForesightError } from '../../src/errors.js';

/** A clock whose sleeps return at once and are recorded; now() advances by what was slept. */
function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms, signal) => {
      if (signal?.aborted) return Promise.reject(new ForesightError('aborted', 'aborted'));
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

describe('Backoff', () => {
  const cases: [string, ConstructorParameters<typeof Backoff>[0], number[]][] = [
    [
      'doubles without jitter up to the cap',
      { initialMs: 100, maxMs: 1000, jitter: 0 },
      [100, 200, 400, 800, 1000, 1000],
    ],
    [
      'jitter at random()=0 gives half the delay',
      { initialMs: 100, maxMs: 1000, random: () => 0 },
      [50, 100, 200, 400, 500, 500],
    ],
    [
      'jitter at random()→1 gives the whole delay',
      { initialMs: 100, maxMs: 1000, random: () => 0.999999 },
      [100, 200, 400, 800, 1000, 1000],
    ],
    ['factor 3', { initialMs: 10, maxMs: 100, jitter: 0, factor: 3 }, [10, 30, 90, 100]],
  ];
  for (const [name, options, expected] of cases) {
    test(name, () => {
      const b = new Backoff(options);
      assert.deepEqual(
        expected.map(() => b.next()),
        expected,
      );
    });
  }

  test('reset starts again from the initial delay', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, jitter: 0 });
    b.next();
    b.next();
    b.reset();
    assert.equal(b.next(), 100);
  });

  test('stays finite after very many attempts', () => {
    const b = new Backoff({ initialMs: 1, maxMs: 5000, jitter: 0 });
    for (let i = 0; i < 5000; i++) b.next();
    assert.equal(b.next(), 5000);
  });

  test('a cap below the initial delay is refused', () => {
    assert.throws(() => new Backoff({ initialMs: 100, maxMs: 10 }), { code: 'backoff-invalid' });
  });
});

describe('retry', () => {
  test('retries until success, sleeping the backoff delays', async () => {
    const clock = fakeClock();
    let calls = 0;
    const result = await retry(
      () => {
        calls += 1;
        return calls < 4 ? Promise.reject(new Error('down')) : Promise.resolve('ok');
      },
      { initialMs: 100, maxMs: 250, jitter: 0, clock },
    );
    assert.equal(result, 'ok');
    assert.deepEqual(clock.slept, [100, 200, 250]);
  });

  test('a non-retryable error is thrown at once', async () => {
    const clock = fakeClock();
    await assert.rejects(
      retry(() => Promise.reject(new Error('bug')), {
        initialMs: 1,
        maxMs: 1,
        clock,
        retryable: () => false,
      }),
      /bug/,
    );
    assert.deepEqual(clock.slept, []);
  });

  test('maxAttempts gives up with the last error', async () => {
    const clock = fakeClock();
    let n = 0;
    await assert.rejects(
      retry(() => Promise.reject(new Error(`fail ${++n}`)), {
        initialMs: 1,
        maxMs: 1,
        clock,
        maxAttempts: 3,
      }),
      /fail 3/,
    );
  });

  test('abort during the wait rejects with an aborted error caused by the last failure', async () => {
    const controller = new AbortController();
    const reported: number[] = [];
    const failure = new Error('still down');
    const err = await retry(() => Promise.reject(failure), {
      initialMs: 1,
      maxMs: 1,
      clock: fakeClock(),
      signal: controller.signal,
      onRetry: (_e, attempt) => {
        reported.push(attempt);
        if (attempt === 2) controller.abort();
      },
    }).catch((e: unknown) => e);
    assert.ok(err instanceof ForesightError);
    assert.equal(err.code, 'aborted');
    assert.equal(err.cause, failure);
    assert.deepEqual(reported, [1, 2]);
  });

  test('systemClock.sleep rejects as soon as its signal aborts', async () => {
    const controller = new AbortController();
    const sleeping = systemClock.sleep(60_000, controller.signal);
    controller.abort();
    await assert.rejects(sleeping, { code: 'aborted' });
  });
});

describe('formatDelay', () => {
  const cases: [number, string][] = [
    [250, '250ms'],
    [2000, '2s'],
    [1500, '1.5s'],
    [90_000, '1.5m'],
  ];
  for (const [ms, text] of cases) test(`${ms} → ${text}`, () => assert.equal(formatDelay(ms), text));
});

describe('raceAbort', () => {
  test('passes the result through without a signal abort', async () => {
    assert.equal(await raceAbort(Promise.resolve(7), new AbortController().signal), 7);
  });

  test('rejects as soon as the signal aborts, even if the work never settles', async () => {
    const controller = new AbortController();
    const racing = raceAbort(new Promise<never>(() => undefined), controller.signal);
    controller.abort();
    await assert.rejects(racing, { code: 'aborted' });
  });
});
