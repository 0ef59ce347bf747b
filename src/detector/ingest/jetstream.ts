/**
 * JetStream set-up: the FLOWS stream and the detector's durable pull consumers, created or
 * brought in line with the configuration. Consumers start where the store's checkpoint says,
 * because the store, not the server's ack state, is the record of what is counted.
 */
import {
  AckPolicy,
  DeliverPolicy,
  RetentionPolicy,
  StorageType,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import type { Config } from '../../config/schema.js';
import type { Logger } from '../../observability/logger.js';
import { jetStreamApiCode } from '../../util/nats.js';

const NOT_FOUND = 10014; // consumer not found
const STREAM_NOT_FOUND = 10059;

/** The subjects derived from the prefix: what the stream holds, where flows and dead letters go. */
export function flowSubjects(nats: Config['nats']) {
  const p = nats.subjectPrefix;
  return {
    stream: `${p}.>`,
    /** Three-level subjects only: `<prefix>.dlq` has two levels and is not consumed as flows. */
    allFlows: `${p}.*.*`,
    partition: (n: number) => `${p}.*.${n}`,
    publish: (source: string, partition: number) => `${p}.${source}.${partition}`,
    deadLetters: `${p}.dlq`,
  };
}

export async function ensureStream(
  jsm: JetStreamManager,
  nats: Config['nats'],
  logger: Logger,
): Promise<void> {
  const { stream } = nats;
  const wanted: Partial<StreamConfig> = {
    name: stream.name,
    subjects: [flowSubjects(nats).stream],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: stream.maxAgeSeconds * 1e9,
    max_bytes: stream.maxBytes,
    max_msgs: stream.maxMsgs,
    num_replicas: stream.replicas,
  };
  try {
    const info = await jsm.streams.info(stream.name);
    const c = info.config;
    if (
      c.max_age !== wanted.max_age ||
      c.max_bytes !== wanted.max_bytes ||
      c.max_msgs !== wanted.max_msgs ||
      c.subjects.join() !== wanted.subjects!.join()
    ) {
      await jsm.streams.update(stream.name, wanted);
      logger.info('updated stream limits', { stream: stream.name });
    }
  } catch (err) {
    if (jetStreamApiCode(err) !== STREAM_NOT_FOUND) throw err;
    await jsm.streams.add(wanted);
    logger.info('created stream', { stream: stream.name, subjects: wanted.subjects });
  }
}

export interface ConsumerPlan {
  durable: string;
  filterSubject: string;
  /** Stream sequence to start from (from the store checkpoint); absent: keep or start at the beginning. */
  startSeq?: number;
}

/** The consumers this replica runs: one for everything, or one per owned partition. */
export function consumerPlans(config: Config): ConsumerPlan[] {
  const { consumer } = config.nats;
  const subjects = flowSubjects(config.nats);
  const owned = config.detector.partitions;
  if (!owned) return [{ durable: consumer.durable, filterSubject: subjects.allFlows }];
  return owned.map((p) => ({ durable: `${consumer.durable}-p${p}`, filterSubject: subjects.partition(p) }));
}

export async function ensureConsumer(
  jsm: JetStreamManager,
  config: Config,
  plan: ConsumerPlan,
  logger: Logger,
): Promise<void> {
  const { consumer, stream } = config.nats;
  const base: Partial<ConsumerConfig> = {
    durable_name: plan.durable,
    filter_subject: plan.filterSubject,
    ack_policy: AckPolicy.Explicit,
    ack_wait: consumer.ackWaitSeconds * 1e9,
    max_ack_pending: consumer.maxAckPending,
    max_deliver: consumer.maxDeliver,
  };
  let exists = true;
  try {
    await jsm.consumers.info(stream.name, plan.durable);
  } catch (err) {
    if (jetStreamApiCode(err) !== NOT_FOUND) throw err;
    exists = false;
  }
  if (plan.startSeq !== undefined) {
    // The position lives in the store; JetStream cannot move a durable, so recreate it there.
    if (exists) await jsm.consumers.delete(stream.name, plan.durable);
    await jsm.consumers.add(stream.name, {
      ...base,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: plan.startSeq,
    });
    logger.info('consumer positioned from checkpoint', { consumer: plan.durable, startSeq: plan.startSeq });
  } else if (!exists) {
    await jsm.consumers.add(stream.name, { ...base, deliver_policy: DeliverPolicy.All });
    logger.info('created consumer', { consumer: plan.durable, filter: plan.filterSubject });
  } else {
    await jsm.consumers.update(stream.name, plan.durable, {
      ack_wait: base.ack_wait,
      max_ack_pending: base.max_ack_pending,
      max_deliver: base.max_deliver,
    });
  }
}
