/**
 * The work queue between informers and reconcilers (client-go's workqueue, in small):
 * - a key queued twice is processed once (de-duplication);
 * - a key is never processed by two workers at once: added while in flight, it is marked dirty
 *   and queued again when its worker is done;
 * - a failed key is retried after a per-key exponential backoff, reset by its next success;
 * - `addAfter` queues a key later (TTL expiry, periodic resync); the earliest request wins.
 * Timers and randomness are injected, so tests step time instead of waiting for it.
 */
import { Backoff } from '../../util/backoff.js';

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    // Pending requeues alone must not keep a stopping process alive.
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface ReconcileResult {
  /** Reconcile this key again after this long (even if nothing changes), e.g. when a TTL ends. */
  requeueAfterMs?: number;
}

export type ReconcileFn = (key: string) => Promise<ReconcileResult | void>;

export interface WorkQueueOptions {
  backoff: { initialMs: number; maxMs: number };
  timers?: Timers;
  random?: () => number;
  /** Called whenever the number of queued keys changes. */
  onDepth?: (depth: number) => void;
}

export class WorkQueue {
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private readonly processing = new Set<string>();
  private readonly dirty = new Set<string>();
  private readonly delayed = new Map<string, { at: number; handle: unknown }>();
  private readonly failures = new Map<string, Backoff>();
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  private readonly timers: Timers;
  private stopping = false;

  constructor(
    readonly name: string,
    private readonly options: WorkQueueOptions,
  ) {
    this.timers = options.timers ?? realTimers;
  }

  get depth(): number {
    return this.queue.length;
  }

  /** Keys queued, in flight or waiting for a delay. */
  get pending(): number {
    return this.queued.size + this.processing.size + this.delayed.size;
  }

  add(key: string): void {
    if (this.stopping) return;
    if (this.processing.has(key)) {
      this.dirty.add(key);
      return;
    }
    if (this.queued.has(key)) return;
    const waiter = this.waiters.shift();
    if (waiter) {
      this.processing.add(key);
      waiter(key);
      return;
    }
    this.queued.add(key);
    this.queue.push(key);
    this.options.onDepth?.(this.queue.length);
  }

  addAfter(key: string, ms: number): void {
    if (this.stopping) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.timers.now() + ms;
    const existing = this.delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.timers.clearTimeout(existing.handle);
    const handle = this.timers.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, handle });
  }

  /** Queues a failed key after its backoff; returns the delay chosen. */
  addRateLimited(key: string): number {
    let backoff = this.failures.get(key);
    if (!backoff) {
      backoff = new Backoff({
        ...this.options.backoff,
        ...(this.options.random ? { random: this.options.random } : {}),
      });
      this.failures.set(key, backoff);
    }
    const delay = backoff.next();
    this.addAfter(key, delay);
    return delay;
  }

  /** Failures of this key so far (0 after a success). */
  retries(key: string): number {
    return this.failures.get(key)?.attempts ?? 0;
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  /** The next key to process; undefined once the queue shuts down. */
  get(): Promise<string | undefined> {
    if (this.stopping) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) {
      this.queued.delete(key);
      this.processing.add(key);
      this.options.onDepth?.(this.queue.length);
      return Promise.resolve(key);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks a key processed; a key added meanwhile is queued again now. */
  done(key: string): void {
    this.processing.delete(key);
    if (this.dirty.delete(key)) this.add(key);
  }

  /**
   * Runs `workers` loops over the queue. A reconcile that throws is retried with backoff (after
   * `onError`); one that returns `requeueAfterMs` is queued again after that long. Resolves when
   * shutDown() has been called and every in-flight reconcile has finished.
   */
  async run(
    workers: number,
    reconcile: ReconcileFn,
    onError: (key: string, err: unknown) => void,
  ): Promise<void> {
    const loop = async (): Promise<void> => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          const result = await reconcile(key);
          this.forget(key);
          if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
        } catch (err) {
          onError(key, err);
          if (!this.stopping) this.addRateLimited(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, () => loop()));
  }

  /** Stops handing out keys and drops pending delays; in-flight reconciles finish. */
  shutDown(): void {
    this.stopping = true;
    for (const { handle } of this.delayed.values()) this.timers.clearTimeout(handle);
    this.delayed.clear();
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
}
