/**
 * The VERDICTS JetStream stream (subjects foresight.verdicts.>) and the controller's durable
 * pull consumer on it (docs/adr/0008): verdicts published while no controller runs (restart,
 * leader hand-over, API server outage) wait in the stream, and a verdict is acked only once
 * its incident write is durable. A new consumer starts at new messages: a controller deployed
 * later must not act on a day of stale verdicts. The detector creates the same stream if it starts
 * first (src/detector/scoring/verdict-publisher.ts); an existing stream is used as it is.
 */
import { AckPolicy, DeliverPolicy, RetentionPolicy, StorageType, type JetStreamManager } from 'nats';
import type { ControllerConfig } from '../../config/controller-schema.js';
import type { Logger } from '../../observability/logger.js';
import { jetStreamApiCode } from '../../util/nats.js';

const STREAM_NOT_FOUND = 10059;
const CONSUMER_NOT_FOUND = 10014;
const STREAM_NAME_IN_USE = 10058;

export async function ensureVerdictStream(
  jsm: JetStreamManager,
  config: ControllerConfig['verdicts'],
  logger: Logger,
): Promise<void> {
  try {
    await jsm.streams.info(config.stream);
  } catch (err) {
    if (jetStreamApiCode(err) !== STREAM_NOT_FOUND) throw err;
    try {
      await jsm.streams.add({
        name: config.stream,
        subjects: [...config.subjects],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: config.maxAgeSeconds * 1e9,
      });
      logger.info('created verdict stream', { stream: config.stream, subjects: config.subjects });
    } catch (addErr) {
      // The detector created it at the same moment: theirs serves.
      if (jetStreamApiCode(addErr) !== STREAM_NAME_IN_USE) throw addErr;
    }
  }
  const consumer = {
    durable_name: config.durable,
    ack_policy: AckPolicy.Explicit,
    ack_wait: config.ackWaitSeconds * 1e9,
    max_ack_pending: 4096,
    filter_subject: config.subjects.length === 1 ? config.subjects[0] : undefined,
  };
  try {
    await jsm.consumers.info(config.stream, config.durable);
    await jsm.consumers.update(config.stream, config.durable, {
      ack_wait: consumer.ack_wait,
      max_ack_pending: consumer.max_ack_pending,
    });
  } catch (err) {
    if (jetStreamApiCode(err) !== CONSUMER_NOT_FOUND) throw err;
    await jsm.consumers.add(config.stream, { ...consumer, deliver_policy: DeliverPolicy.New });
    logger.info('created verdict consumer', { stream: config.stream, consumer: config.durable });
  }
}
