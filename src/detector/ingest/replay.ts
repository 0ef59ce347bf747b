/**
 * `foresight replay`: publishes a flow file into NATS the way a collector would — original lines,
 * many per message, on `flows.<source>.<partition>` with the partition chosen by source address —
 * keeping the file's timing scaled by a speed factor (or as fast as JetStream acknowledges), and
 * ending with an end-of-stream marker per partition so detectors can close their last windows.
 */
import { headers as natsHeaders, type JetStreamClient } from 'nats';
import { openFlowFile } from '../../flows/flow-file.js';
import type { LineOutcome } from '../../flows/formats/types.js';
import { systemClock } from '../../util/backoff.js';
import { FLOW_HEADERS } from './message-decoder.js';

export interface ReplayOptions {
  js: JetStreamClient;
  /** Subject prefix (nats.subjectPrefix): messages go to <prefix>.<source>.<partition>. */
  subjectPrefix: string;
  format?: string;
  /** Subject token naming the collector (default: the format name). */
  source?: string;
  partitions: number;
  /** Event-time seconds per wall second, or 'max'. */
  speed: number | 'max';
  linesPerMessage: number;
  /** Unacknowledged publishes allowed at once. */
  maxInFlight?: number;
  endOfStream?: boolean;
  onProgress?: (linesRead: number) => void;
  now?: () => number;
}

export interface ReplaySummary {
  format: string;
  lines: number;
  messages: number;
  flows: number;
  /** Lines the parser rejected: still published, the detector dead-letters them with the reason. */
  unparsable: number;
  firstEvent?: number;
  lastEvent?: number;
  seconds: number;
}

/** FNV-1a: a stable, fast partition for a source address. */
export function partitionOf(address: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < address.length; i++) {
    h ^= address.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}

export async function replayFile(path: string, opts: ReplayOptions): Promise<ReplaySummary> {
  const now = opts.now ?? (() => performance.now());
  const file = await openFlowFile(path, opts.format ? { format: opts.format } : {});
  const parser = file.format.createParser();
  const source = (opts.source ?? file.format.name).replace(/[^A-Za-z0-9_-]/g, '_');
  const encoder = new TextEncoder();
  const buffers: string[][] = Array.from({ length: opts.partitions }, () => []);
  const inFlight: Promise<unknown>[] = [];
  const maxInFlight = opts.maxInFlight ?? 512;
  const summary: ReplaySummary = {
    format: file.format.name,
    lines: 0,
    messages: 0,
    flows: 0,
    unparsable: 0,
    seconds: 0,
  };
  const started = now();
  let headerJson: string | undefined;

  const publish = async (partition: number, lines: string[]): Promise<void> => {
    const h = natsHeaders();
    h.set(FLOW_HEADERS.format, file.format.name);
    if (headerJson) h.set(FLOW_HEADERS.header, headerJson);
    inFlight.push(
      opts.js.publish(`${opts.subjectPrefix}.${source}.${partition}`, encoder.encode(lines.join('\n')), {
        headers: h,
      }),
    );
    summary.messages++;
    if (inFlight.length >= maxInFlight) await Promise.all(inFlight.splice(0));
  };
  const flushAll = async (): Promise<void> => {
    for (let p = 0; p < buffers.length; p++) {
      if (buffers[p]!.length > 0) await publish(p, buffers[p]!.splice(0));
    }
  };

  let lastPartition = 0;
  for await (const chunk of file.rawLines()) {
    for (const line of chunk) {
      summary.lines++;
      let outcome: LineOutcome;
      try {
        outcome = parser.parse(line);
      } catch {
        outcome = { kind: 'error', reason: 'adapter-exception', detail: '' };
      }
      if (outcome.kind === 'header') {
        // Header lines travel with every message instead of as data.
        headerJson = JSON.stringify(parser.headerLines());
        continue;
      }
      let partition = lastPartition;
      const first = outcome.kind === 'flows' ? outcome.flows[0] : undefined;
      if (first) {
        summary.flows += (outcome as { flows: unknown[] }).flows.length;
        partition = partitionOf(first.src, opts.partitions);
        summary.firstEvent ??= first.ts;
        if (summary.lastEvent === undefined || first.ts > summary.lastEvent) summary.lastEvent = first.ts;
        if (opts.speed !== 'max') {
          const due = started + (first.ts - summary.firstEvent) / opts.speed;
          const wait = due - now();
          if (wait > 1) {
            await flushAll();
            await systemClock.sleep(wait);
          }
        }
      } else if (outcome.kind === 'error') summary.unparsable++;
      lastPartition = partition;
      const buffer = buffers[partition]!;
      buffer.push(line);
      if (buffer.length >= opts.linesPerMessage) await publish(partition, buffers[partition]!.splice(0));
    }
    opts.onProgress?.(summary.lines);
  }
  await flushAll();
  await Promise.all(inFlight.splice(0));
  if (opts.endOfStream ?? true) {
    for (let p = 0; p < opts.partitions; p++) {
      const h = natsHeaders();
      h.set(FLOW_HEADERS.control, 'eos');
      await opts.js.publish(`${opts.subjectPrefix}.${source}.${p}`, new Uint8Array(0), { headers: h });
    }
  }
  summary.seconds = (now() - started) / 1000;
  return summary;
}
