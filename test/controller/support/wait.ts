/**
 * Waiting for eventual state in integration tests: poll a condition until it holds or a
 * deadline passes, then fail with the last value seen. The deadline is a bound on how long the
 * system may take, not a speed assertion (speeds are in bench/controller.ts).
 */
export async function eventually<T>(
  check: () => Promise<T | false | undefined> | T | false | undefined,
  timeoutMs = 20_000,
  intervalMs = 100,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
