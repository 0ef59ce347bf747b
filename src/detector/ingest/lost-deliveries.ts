/**
 * Reading back flow messages whose delivery never reached the detector. A pull request that the
 * client closes (its fetch timer fired) while the server is still sending leaves those messages
 * "delivered" on the server and unseen by the client: they would come back only after ack_wait,
 * when their windows are long final. The detector notices the gap in the consumer's delivery
 * sequence and reads the hidden messages from the stream by sequence instead.
 */
import type { JetStreamManager, StoredMsg } from 'nats';
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
