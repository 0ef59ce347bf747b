/**
 * The live stream: server-sent events on GET /api/stream. A ticker polls what the dashboard shows
 * (latest traffic and score step, incident changes, alert firings, model versions) while anyone
 * is connected, and publishes what changed; `poke()` (the demo calls it after each processed
 * batch) runs it at once. Polling the store rather than hooking writers means the same stream
 * works for the demo and for a cluster deployment that only reads the store.
 */
import type { ServerResponse } from 'node:http';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { LiveEvent, TickData } from './types.js';

export interface LiveSource {
  tick(): Promise<TickData>;
  /** Fingerprints of recently active incidents, by key. */
  incidentFingerprints(): Promise<Map<string, string>>;
  firings(): Promise<{ key: string; event: Extract<LiveEvent, { type: 'alert' }>['data'] }[]>;
  modelVersions(): Promise<Record<string, number>>;
}

export function formatEvent(event: LiveEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

export class LiveHub {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private lastTick = '';
  private incidents: Map<string, string> | undefined;
  private seenFirings: Set<string> | undefined;
  private versions = '';
  private closed = false;

  constructor(
    private readonly source: LiveSource,
    private readonly options: { intervalMs: number; heartbeatMs?: number; logger: Logger },
  ) {}

  get size(): number {
    return this.clients.size;
  }

  /** Takes over a response as an event stream until the client goes away. */
  attach(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(': connected\n\n');
    this.clients.add(res);
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopTimers();
    });
    this.lastTick = ''; // a new client gets the current tick at once
    this.startTimers();
    this.poke();
  }

  publish(event: LiveEvent): void {
    const text = formatEvent(event);
    for (const res of this.clients) res.write(text);
  }

  /** Runs a poll now (or right after the one running). */
  poke(): void {
    if (this.closed || this.clients.size === 0) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.poll()
      .catch((err: unknown) => {
        this.options.logger.warn(`live update failed: ${errorMessage(err)}`);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.poke();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopTimers();
    await this.running;
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private startTimers(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poke(), this.options.intervalMs);
    this.timer.unref();
    this.heartbeat = setInterval(() => {
      for (const res of this.clients) res.write(': keep-alive\n\n');
    }, this.options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = undefined;
    this.heartbeat = undefined;
  }

  private async poll(): Promise<void> {
    const { source } = this;
    const tick = await source.tick();
    const tickText = JSON.stringify(tick);
    if (tickText !== this.lastTick) {
      this.lastTick = tickText;
      this.publish({ type: 'tick', data: tick });
    }
    const prints = await source.incidentFingerprints();
    if (this.incidents) {
      const changed = [...prints].filter(([k, v]) => this.incidents!.get(k) !== v).map(([k]) => k);
      if (changed.length > 0) this.publish({ type: 'incidents', data: { changed } });
    }
    this.incidents = prints;
    const firings = await source.firings();
    if (this.seenFirings) {
      for (const f of [...firings].reverse()) {
        if (!this.seenFirings.has(f.key)) this.publish({ type: 'alert', data: f.event });
      }
    }
    this.seenFirings = new Set(firings.map((f) => f.key));
    const versions = await source.modelVersions();
    const vText = JSON.stringify(versions);
    if (this.versions !== '' && vText !== this.versions) this.publish({ type: 'models', data: { versions } });
    this.versions = vText;
  }
}
