/**
 * Shared answers to identical GETs: several tabs (and the live stream's refetches) ask the same
 * questions at the same moment, and the answers change at most once per ingest step. An answer
 * is kept for `ttlMs` from when its computation started, and requests that arrive while it is
 * being computed wait for it instead of computing it again. Changes clear it.
 */

interface Entry {
  at: number;
  body: Promise<string | undefined>;
}

export type CacheTake = { body: string } | { fill: (body: string | undefined) => void };

export class ResponseCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly maxEntries = 500,
  ) {}

  /**
   * The answer for `key` when a fresh one exists or is being computed; otherwise `fill`, to be
   * called with the computed answer (undefined when there is none to share: an error, a
   * dropped request). Every `fill` must be called once; later calls are ignored.
   */
  async take(key: string): Promise<CacheTake> {
    const hit = this.entries.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) {
      const body = await hit.body;
      if (body !== undefined) return { body };
      return { fill: () => undefined }; // the first request failed: answer this one on its own
    }
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    let resolve: (body: string | undefined) => void = () => undefined;
    const entry: Entry = { at: this.now(), body: new Promise((r) => (resolve = r)) };
    this.entries.set(key, entry);
    return {
      fill: (body) => {
        if (body === undefined && this.entries.get(key) === entry) this.entries.delete(key);
        resolve(body);
      },
    };
  }

  clear(): void {
    this.entries.clear();
  }
}
