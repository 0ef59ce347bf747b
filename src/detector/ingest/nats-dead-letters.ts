/**
 * Dead letters on NATS: each one is published to `flows.dlq` (inside the FLOWS stream, so it is
 * kept and can be inspected or replayed) with the reason and origin in headers and the original
 * bytes as the body. `put` resolves only once JetStream has acknowledged every letter.
 */
import { headers as natsHeaders, type JetStreamClient } from 'nats';
import type { DeadLetter, DeadLetterSink } from '../../flows/dead-letter.js';
import { counter, type Registry } from '../../observability/metrics.js';

export const DLQ_HEADERS = {
  reason: 'Foresight-Reason',
  detail: 'Foresight-Detail',
  format: 'Foresight-Format',
  subject: 'Foresight-Source-Subject',
} as const;

export class NatsDeadLetterSink implements DeadLetterSink {
  private readonly encoder = new TextEncoder();

  constructor(
    private readonly js: JetStreamClient,
    private readonly subject: string,
  ) {}

  async put(letters: readonly DeadLetter[]): Promise<void> {
    const pending: Promise<unknown>[] = [];
    for (const letter of letters) {
      const h = natsHeaders();
      h.set(DLQ_HEADERS.reason, letter.reason);
      // Header values are single lines; the detail is for people, so flatten it.
      h.set(DLQ_HEADERS.detail, letter.detail.replace(/[\r\n]+/g, ' ').slice(0, 1000));
      if (letter.format) h.set(DLQ_HEADERS.format, letter.format);
      if (letter.subject) h.set(DLQ_HEADERS.subject, letter.subject);
      pending.push(this.js.publish(this.subject, this.encoder.encode(letter.raw), { headers: h }));
    }
    await Promise.all(pending);
  }
}

/** Counts dead letters by reason on their way to another sink. */
export class CountingDeadLetterSink implements DeadLetterSink {
  private readonly total;

  constructor(
    private readonly inner: DeadLetterSink,
    registry: Registry,
  ) {
    this.total = counter(registry, 'foresight_dead_letters_total', 'Records dead-lettered, by reason', [
      'reason',
    ]);
  }

  async put(letters: readonly DeadLetter[]): Promise<void> {
    if (letters.length === 0) return;
    await this.inner.put(letters);
    for (const l of letters) this.total.inc({ reason: l.reason });
  }
}
