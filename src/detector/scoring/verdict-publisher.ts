/**
 * Publishing verdicts on NATS JetStream: stream VERDICTS capturing `foresight.verdicts.>` (the
 * controller's durable consumer reads it), one message per verdict on
 * `foresight.verdicts.<namespace>`, with the verdict id as the JetStream message id so that a
 * window re-scored after a restart is not delivered twice within the duplicate window.
 *
 * The stream is created by whichever of detector and controller starts first; `ensureVerdictStream`
 * accepts one that exists with the same subjects (or subjects covering ours), adds our subject to
 * one that lacks it, and tolerates losing a creation race.
 */
import { RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager } from 'nats';
import { ForesightError } from '../../errors.js';
import type { Logger } from '../../observability/logger.js';
import type { Verdict } from './verdict.js';
import { subjectFor } from './verdict-builder.js';
import { jetStreamApiCode } from '../../util/nats.js';

const STREAM_NOT_FOUND = 10059;
const STREAM_NAME_IN_USE = 10058;

export interface VerdictStreamConfig {
  stream: string;
  subjectPrefix: string;
  maxAgeSeconds: number;
}

/** True when `pattern` (a stream subject, may hold `*` and `>`) covers every subject `wanted` does. */
export function subjectCovers(pattern: string, wanted: string): boolean {
  const p = pattern.split('.');
  const w = wanted.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return i < w.length;
    if (i >= w.length || w[i] === '>') return false;
    if (p[i] !== '*' && p[i] !== w[i]) return false;
  }
  return p.length === w.length;
}

export async function ensureVerdictStream(
  jsm: JetStreamManager,
  config: VerdictStreamConfig,
  logger: Logger,
): Promise<void> {
  const wanted = `${config.subjectPrefix}.>`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const info = await jsm.streams.info(config.stream);
      const subjects = info.config.subjects ?? [];
      if (subjects.some((s) => subjectCovers(s, wanted))) return;
      await jsm.streams.update(config.stream, { ...info.config, subjects: [...subjects, wanted] });
      logger.warn(`verdict stream ${config.stream} did not capture ${wanted}: subject added`);
      return;
    } catch (err) {
      if (jetStreamApiCode(err) !== STREAM_NOT_FOUND) throw err;
    }
    try {
      await jsm.streams.add({
        name: config.stream,
        subjects: [wanted],
        retention: RetentionPolicy.Limits,
        storage: StorageType.File,
        max_age: config.maxAgeSeconds * 1e9,
      });
      logger.info('created verdict stream', { stream: config.stream, subjects: [wanted] });
      return;
    } catch (err) {
      // Another process created it between our info and add: check it again.
      if (jetStreamApiCode(err) !== STREAM_NAME_IN_USE) throw err;
    }
  }
  throw new ForesightError('verdict-stream', `could not ensure stream ${config.stream}`);
}

/** Where verdicts go once stored: NATS in the detector, memory in evaluation and tests. */
export interface VerdictPublisher {
  publish(verdicts: readonly Verdict[]): Promise<void>;
}

export class NatsVerdictPublisher implements VerdictPublisher {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjectPrefix: string,
  ) {}

  async publish(verdicts: readonly Verdict[]): Promise<void> {
    const encoder = new TextEncoder();
    // Acks are awaited together: one round trip per batch rather than per verdict.
    await Promise.all(
      verdicts.map((v) =>
        this.js.publish(subjectFor(v, this.subjectPrefix), encoder.encode(JSON.stringify(v)), {
          msgID: v.id,
        }),
      ),
    );
  }
}

export class MemoryVerdictPublisher implements VerdictPublisher {
  readonly verdicts: Verdict[] = [];

  publish(verdicts: readonly Verdict[]): Promise<void> {
    this.verdicts.push(...verdicts);
    return Promise.resolve();
  }
}
