/**
 * Dead letters: what happens to input that cannot become a flow. Nothing malformed is dropped
 * silently; it is handed to a sink with the reason and the original bytes, and counted by reason.
 */

/** Why a record was dead-lettered. Stable values: they are metric labels and NATS headers. */
export type DeadLetterReason =
  | 'malformed' // not parseable at all (broken JSON, wrong column count)
  | 'invalid-field' // parseable, but a required field is missing or out of range
  | 'unknown-format' // no adapter recognises the input
  | 'late' // event time older than the allowed lateness behind the watermark
  | 'adapter-exception'; // an adapter threw: a bug, but the stream goes on

export interface DeadLetter {
  reason: DeadLetterReason;
  /** Human-readable detail naming the field or the problem. */
  detail: string;
  format?: string;
  /** Subject the original message arrived on, when it came from NATS. */
  subject?: string;
  /** The original bytes of the offending line or message. */
  raw: string;
}

/** Where dead letters go: NATS subject `flows.dlq` in production, memory or a file offline. */
export interface DeadLetterSink {
  /** Resolves once the letter is durable (published with an ack, written, …). */
  put(letters: readonly DeadLetter[]): Promise<void>;
}

/** Keeps dead letters in memory; used by the offline pipeline and tests. */
export class MemoryDeadLetterSink implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];

  put(letters: readonly DeadLetter[]): Promise<void> {
    this.letters.push(...letters);
    return Promise.resolve();
  }

  countByReason(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const l of this.letters) counts[l.reason] = (counts[l.reason] ?? 0) + 1;
    return counts;
  }
}
