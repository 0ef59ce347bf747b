/**
 * Reading back flow messages whose delivery never reached the detector. A pull request that the
 * client closes (its fetch timer fired) while the server is still sending leaves those messages
 * "delivered" on the server and unseen by the client: they would come back only after ack_wait,
 * when their windows are long final. The detector notices the gap in the consumer's delivery
 * sequence and reads the hidden messages from the stream by sequence instead.
 */
import type { JetStreamManager, JsMsg, MsgHdrs, StoredMsg } from 'nats';
import type { Ackable } from './held-messages.js';
import { jetStreamApiCode } from '../../util/nats.js';

const NO_MESSAGE_FOUND = 10037;

/**
 * Up to `max` messages of `subject` (wildcards allowed) with sequences in (after, before), in
 * stream order: one `next_by_subj` lookup each, so other partitions' messages cost nothing.
 */
export async function readBack(
  jsm: JetStreamManager,
  stream: string,
  subject: string,
  range: { after: number; before: number; max: number },
): Promise<StoredMsg[]> {
  const out: StoredMsg[] = [];
  let seq = range.after + 1;
  while (seq < range.before && out.length < range.max) {
    let m: StoredMsg;
    try {
      // STREAM.MSG.GET takes next_by_subj (server ≥ 2.9); this client types only seq / last_by_subj.
      const query = { seq, next_by_subj: subject } as unknown as { seq: number };
      m = await jsm.streams.getMessage(stream, query);
    } catch (err) {
      if (jetStreamApiCode(err) === NO_MESSAGE_FOUND) break;
      throw err;
    }
    if (m.seq >= range.before) break;
    out.push(m);
    seq = m.seq + 1;
  }
  return out;
}

/** A flow message to process: a JetStream delivery, or a message read back after its delivery was lost. */
export interface FlowMessage extends Ackable {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs | undefined;
  /** When it reached the stream (epoch ms). */
  publishedAt: number;
}

export const fromDelivery = (m: JsMsg): FlowMessage => ({
  seq: m.seq,
  subject: m.subject,
  data: m.data,
  headers: m.headers,
  publishedAt: m.info.timestampNanos / 1e6,
  ack: () => m.ack(),
  working: () => m.working(),
});

const noop = () => undefined;

/** A message read back: acked through its redelivery (DeliveryGaps), nothing to ack or keep alive before. */
export const fromStored = (m: StoredMsg): FlowMessage => ({
  seq: m.seq,
  subject: m.subject,
  data: m.data,
  headers: m.header,
  publishedAt: m.time.getTime(),
  ack: noop,
  working: noop,
});

/**
 * One consumer's view of its delivery sequence: notices deliveries this client never saw, and
 * remembers the messages read back in their place. Those are still pending on the server, so
 * their redelivery after ack_wait must be acked without being counted again.
 */
export class DeliveryGaps {
  private lastDelivery = 0;
  /** Deliveries not seen since the last read-back (some may be redeliveries, which need none). */
  private unseen = 0;
  /** Stream sequences read back, oldest first, at most `maxRemembered`. */
  private readonly recovered = new Set<number>();

  constructor(private readonly maxRemembered: number) {}

  /**
   * Notes a delivery. Returns how many lost new messages may lie between the last stream sequence
   * seen and this one: new messages arrive in stream order, so a first delivery (not a
   * redelivery) bounds them. 0 when there is nothing to read back.
   */
  observe(msg: Pick<JsMsg, 'info' | 'redelivered'>): number {
    const d = msg.info.deliverySequence;
    this.unseen += Math.max(0, d - this.lastDelivery - 1);
    this.lastDelivery = Math.max(this.lastDelivery, d);
    if (this.unseen === 0 || msg.redelivered) return 0;
    const lost = this.unseen;
    this.unseen = 0;
    return lost;
  }

  remember(seq: number): void {
    this.recovered.add(seq);
    if (this.recovered.size > this.maxRemembered)
      this.recovered.delete(this.recovered.values().next().value!);
  }

  /** True once for a sequence that was read back: its redelivery has arrived. */
  forget(seq: number): boolean {
    return this.recovered.delete(seq);
  }
}
