/**
 * Test support for NATS JetStream: a connection and names unique to one test (stream, subject
 * prefix, consumer), removed afterwards so tests never see each other's messages.
 */
import { randomBytes } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';

export const TEST_NATS_URL = 'nats://127.0.0.1:4222';

export interface TestStreamNames {
  stream: string;
  subjectPrefix: string;
  durable: string;
}

export function uniqueStreamNames(prefix = 't'): TestStreamNames {
  const id = randomBytes(4).toString('hex');
  return {
    stream: `FLOWS_${prefix.toUpperCase()}_${id}`,
    subjectPrefix: `${prefix}${id}.flows`,
    durable: `det-${id}`,
  };
}

export async function connectTestNats(): Promise<NatsConnection> {
  return connect({ servers: TEST_NATS_URL, name: 'foresight-test' });
}

export async function deleteStream(nc: NatsConnection, stream: string): Promise<void> {
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(stream).catch(() => undefined);
}
