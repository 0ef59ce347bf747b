/**
 * Other captures as a detector's history: each file is shifted by whole days (so hour of
 * day and weekday features keep their meaning) until it ends before the evaluated file starts,
 * the files one after another, and written as Foresight NDJSON (labels kept) for extraction.
 * This is the leave-one-capture-out protocol for datasets of single-day captures, where the
 * first hours of one day cannot show a host's working day (docs/adr/0012).
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { openFlowFile } from '../flows/flow-file.js';
import type { FlowRecord } from '../flows/flow-record.js';
import { getFormat } from '../flows/formats/index.js';

const DAY_MS = 86_400_000;

export async function eventSpan(
  path: string,
  format?: string,
): Promise<{ first: number; last: number } | undefined> {
  const file = await openFlowFile(path, format ? { format } : {});
  let first = Infinity;
  let last = -Infinity;
  try {
    for await (const batch of file.batches()) {
      for (const f of batch.flows) {
        if (f.ts < first) first = f.ts;
        if (f.ts > last) last = f.ts;
      }
    }
  } finally {
    await file.close();
  }
  return Number.isFinite(first) ? { first, last } : undefined;
}

export interface ShiftedFile {
  source: string;
  path: string;
  shiftMs: number;
  first: number;
  last: number;
}

/**
 * Writes each history file, shifted, into `dir`; the last file given ends closest to `before`.
 * Returns them oldest first.
 */
export async function shiftHistoryFiles(
  files: readonly string[],
  before: number,
  dir: string,
  format?: string,
): Promise<ShiftedFile[]> {
  const out: ShiftedFile[] = [];
  let cursor = before;
  for (const [i, source] of [...files].reverse().entries()) {
    const span = await eventSpan(source, format);
    if (!span) continue;
    // Whole days back (or forward, for an older capture), to end within the day before `cursor`.
    const days = Math.floor((span.last - cursor) / DAY_MS) + 1;
    const shiftMs = -days * DAY_MS;
    const path = join(dir, `history-${i}.ndjson`);
    await writeShifted(source, path, shiftMs, format);
    out.unshift({ source, path, shiftMs, first: span.first + shiftMs, last: span.last + shiftMs });
    cursor = span.first + shiftMs;
  }
  return out;
}

async function writeShifted(source: string, target: string, shiftMs: number, format?: string): Promise<void> {
  const ndjson = getFormat('foresight-ndjson');
  const file = await openFlowFile(source, format ? { format } : {});
  const out = createWriteStream(target);
  try {
    for await (const batch of file.batches()) {
      const shifted: FlowRecord[] = batch.flows.map((f) => ({ ...f, ts: f.ts + shiftMs }));
      if (shifted.length > 0 && !out.write(ndjson.write(shifted).join('\n') + '\n')) await once(out, 'drain');
    }
  } finally {
    await file.close();
    out.end();
    await once(out, 'finish');
  }
}
