/**
 * Where action decisions go for the audit log, off the reconcile path: rows are buffered and
 * written in batches, retried with backoff while the store is away (enforcement must not wait
 * for the audit database), and bounded so an outage cannot exhaust memory. Rows carry
 * deterministic keys, so writing one twice (after a restart) records it once.
 */
import type {
  ActionRecord,
  ControllerAuditStore,
  FeedbackRecord,
} from '../../detector/store/controller-audit.js';
import type { Logger } from '../../observability/logger.js';
import { counter, type Registry } from '../../observability/metrics.js';
import { Backoff, formatDelay } from '../../util/backoff.js';

export interface AuditSink {
  record(rows: readonly ActionRecord[]): void;
  recordFeedback(f: FeedbackRecord): Promise<boolean>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

export const noAudit: AuditSink = {
  record: () => undefined,
  recordFeedback: () => Promise.resolve(false),
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

const MAX_BUFFER = 10_000;
const BATCH = 500;

export class StoreAuditSink implements AuditSink {
  private buffer: ActionRecord[] = [];
  private readonly written = new Set<string>();
  private running?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private readonly backoff = new Backoff({ initialMs: 200, maxMs: 30_000 });
  private failing = false;
  private readonly rows;

  constructor(
    private readonly store: ControllerAuditStore,
    private readonly logger: Logger,
    registry: Registry,
  ) {
    this.rows = counter(registry, 'foresight_controller_audit_rows_total', 'Audit rows by result', [
      'result',
    ]);
  }

  record(rows: readonly ActionRecord[]): void {
    for (const r of rows) {
      if (this.written.has(r.key)) continue;
      this.buffer.push(r);
    }
    if (this.buffer.length > MAX_BUFFER) {
      const dropped = this.buffer.length - MAX_BUFFER;
      this.buffer.splice(0, dropped);
      this.rows.inc({ result: 'dropped' }, dropped);
    }
    this.schedule(0);
  }

  async recordFeedback(f: FeedbackRecord): Promise<boolean> {
    return this.store.recordFeedback(f);
  }

  async flush(): Promise<void> {
    while (this.buffer.length > 0 || this.running) {
      if (this.running) await this.running;
      else await this.writeBatch();
      if (this.failing) return;
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush().catch(() => undefined);
  }

  private schedule(ms: number): void {
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.writeBatch();
    }, ms);
    this.timer.unref();
  }

  private writeBatch(): Promise<void> {
    if (this.running || this.buffer.length === 0) return this.running ?? Promise.resolve();
    const batch = this.buffer.splice(0, BATCH);
    this.running = this.store
      .recordActions(batch)
      .then((n) => {
        this.rows.inc({ result: 'written' }, n);
        for (const r of batch) this.remember(r.key);
        if (this.failing) this.logger.info('audit log writable again');
        this.failing = false;
        this.backoff.reset();
      })
      .catch((err: unknown) => {
        this.buffer.unshift(...batch);
        const delay = this.backoff.next();
        if (!this.failing)
          this.logger.warn(`audit rows not written (${String(err)}); retrying in ${formatDelay(delay)}`);
        this.failing = true;
        this.rows.inc({ result: 'retried' }, batch.length);
      })
      .finally(() => {
        this.running = undefined;
        if (this.buffer.length > 0) this.schedule(this.failing ? this.backoff.ceiling() : 0);
      });
    return this.running;
  }

  private remember(key: string): void {
    this.written.add(key);
    if (this.written.size > 50_000) {
      // Forget the oldest half; a forgotten key written again is a no-op in the database.
      let i = 0;
      for (const k of this.written) {
        if (i++ > 25_000) break;
        this.written.delete(k);
      }
    }
  }
}
