/**
 * Messages that have been processed but not yet acked, because a window they feed is not yet
 * durable. Each is held until the flushed-through time passes its `releaseAt` (the last window
 * end its flows contribute to). Also de-duplicates redeliveries by stream sequence, so a message
 * JetStream delivers again while we still hold it is not counted twice.
 */

export interface Ackable {
  seq: number;
  ack(): void;
  working(): void;
}

interface Held<M extends Ackable> {
  releaseAt: number;
  deliveries: M[];
  since: number;
  /** When the message reached the stream (epoch ms), for end-to-end latency. */
  publishedAt: number;
}

export class HeldMessages<M extends Ackable> {
  private readonly bySeq = new Map<number, Held<M>>();
  /** Min-heap of sequences ordered by releaseAt. */
  private heap: number[] = [];

  get size(): number {
    return this.bySeq.size;
  }

  /** True when this stream sequence is already held: a redelivery whose flows are already counted. */
  has(seq: number): boolean {
    return this.bySeq.has(seq);
  }

  /** Keeps the redelivered handle too, so the ack reaches whichever delivery the server waits on. */
  addRedelivery(msg: M): void {
    this.bySeq.get(msg.seq)?.deliveries.push(msg);
  }

  hold(msg: M, releaseAt: number, publishedAt: number, now = Date.now()): void {
    this.bySeq.set(msg.seq, { releaseAt, deliveries: [msg], since: now, publishedAt });
    this.heap.push(msg.seq);
    this.up(this.heap.length - 1);
  }

  /** Acks and forgets every message whose windows are all durable; returns how many. */
  release(flushedThrough: number, onRelease?: (publishedAt: number) => void): number {
    let released = 0;
    while (this.heap.length > 0) {
      const top = this.bySeq.get(this.heap[0]!)!;
      if (top.releaseAt > flushedThrough) break;
      const seq = this.pop();
      for (const d of top.deliveries) d.ack();
      onRelease?.(top.publishedAt);
      this.bySeq.delete(seq);
      released++;
    }
    return released;
  }

  /** Lowest stream sequence still held after messages released by `flushedThrough`, if any. */
  oldestSeqAfter(flushedThrough: number): number | undefined {
    let min: number | undefined;
    for (const [seq, h] of this.bySeq)
      if (h.releaseAt > flushedThrough && (min === undefined || seq < min)) min = seq;
    return min;
  }

  /** Tells the server we are still working on messages held longer than `olderThanMs`. */
  keepAlive(now: number, olderThanMs: number): number {
    let n = 0;
    for (const h of this.bySeq.values()) {
      if (now - h.since >= olderThanMs) {
        for (const d of h.deliveries) d.working();
        h.since = now;
        n++;
      }
    }
    return n;
  }

  private releaseOf(i: number): number {
    return this.bySeq.get(this.heap[i]!)!.releaseAt;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.releaseOf(parent) <= this.releaseOf(i)) break;
      [this.heap[parent], this.heap[i]] = [this.heap[i]!, this.heap[parent]!];
      i = parent;
    }
  }

  private pop(): number {
    const top = this.heap[0]!;
    const last = this.heap.pop()!;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < this.heap.length && this.releaseOf(l) < this.releaseOf(m)) m = l;
        if (r < this.heap.length && this.releaseOf(r) < this.releaseOf(m)) m = r;
        if (m === i) break;
        [this.heap[m], this.heap[i]] = [this.heap[i]!, this.heap[m]!];
        i = m;
      }
    }
    return top;
  }
}
