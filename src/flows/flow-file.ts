/**
 * Streaming reader for flow files (plain or gzip, detected by magic bytes), used by replay,
 * offline features, evaluation and benchmarks. Files can be tens of megabytes: lines are read in
 * chunks and parsed in batches, never all at once. The format is sniffed from the first lines
 * when not given.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ForesightError, errorMessage } from '../errors.js';
import type { DeadLetter } from './dead-letter.js';
import type { FlowRecord } from './flow-record.js';
import { getFormat, sniffFormat, sniffScores } from './formats/index.js';
import type { FlowFormat, FlowParser, FormatName } from './formats/types.js';
import { parseLines } from './parse-lines.js';

export interface FlowBatch {
  format: FormatName;
  flows: FlowRecord[];
  deadLetters: DeadLetter[];
  skipped: Record<string, number>;
  /** Lines this batch consumed (headers, blanks and errors included). */
  lines: number;
  /** 1-based line number of the batch's first line in the file. */
  firstLine: number;
}

export interface FlowFileOptions {
  /** Format name; sniffed from the first lines when absent. */
  format?: string;
  /** Lines per batch (default 1000). */
  batchLines?: number;
  /** Lines to sniff the format from (default 50). */
  sniffLines?: number;
}

export interface FlowFile {
  readonly path: string;
  readonly format: FlowFormat;
  readonly gzip: boolean;
  /** Header lines the parser has learnt so far (complete once the header has been read). */
  headerLines(): string[];
  /** The file's batches; can be iterated once. Closes the file when done or abandoned. */
  batches(): AsyncGenerator<FlowBatch, void, undefined>;
  /**
   * Instead of batches(): the raw lines in chunks, for callers that forward original bytes and
   * parse line by line themselves (replay). Also iterable once, and closes the file.
   */
  rawLines(): AsyncGenerator<string[], void, undefined>;
  close(): Promise<void>;
}

const READ_CHUNK = 1 << 20;

/** Complete lines per chunk of a text stream (a trailing line without newline included). */
async function* lineChunks(stream: AsyncIterable<string>): AsyncGenerator<string[], void, undefined> {
  let rest = '';
  for await (const chunk of stream) {
    const text = rest.length > 0 ? rest + chunk : chunk;
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    if (lines.length > 0) yield lines;
  }
  if (rest.length > 0) yield [rest];
}

async function isGzip(fh: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

export async function openFlowFile(path: string, options: FlowFileOptions = {}): Promise<FlowFile> {
  const batchLines = Math.max(1, options.batchLines ?? 1000);
  const sniffLines = Math.max(1, options.sniffLines ?? 50);
  const explicit = options.format === undefined ? undefined : getFormat(options.format);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw new ForesightError('flow-file-unreadable', `cannot open flow file ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  let text: Readable;
  let gzip: boolean;
  try {
    gzip = await isGzip(fh);
    const raw = fh.createReadStream({ start: 0, highWaterMark: READ_CHUNK, autoClose: false });
    text = gzip ? pipeline(raw, createGunzip({ chunkSize: READ_CHUNK }), () => undefined) : raw;
    text.setEncoding('utf8');
  } catch (err) {
    await fh.close();
    throw new ForesightError('flow-file-unreadable', `cannot read flow file ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    text.destroy();
    await fh.close();
  };
  const chunks = lineChunks(text as AsyncIterable<string>);
  const readError = (err: unknown): ForesightError =>
    err instanceof ForesightError
      ? err
      : new ForesightError('flow-file-unreadable', `reading flow file ${path} failed: ${errorMessage(err)}`, {
          cause: err,
        });

  // Read ahead enough lines to sniff; they are parsed first by batches().
  const prefix: string[] = [];
  let format: FlowFormat;
  try {
    while (prefix.length < sniffLines) {
      const next = await chunks.next();
      if (next.done) break;
      for (const line of next.value) prefix.push(line);
    }
    const found = explicit ?? sniffFormat(prefix.slice(0, sniffLines));
    if (!found) {
      const tried = sniffScores(prefix.slice(0, sniffLines))
        .map((s) => `${s.format.name} (${s.score.toFixed(2)})`)
        .join(', ');
      throw new ForesightError(
        'unknown-format',
        prefix.length === 0
          ? `flow file ${path} is empty; cannot detect its format`
          : `no flow format recognises the first ${Math.min(prefix.length, sniffLines)} lines of ${path}; ` +
              `tried ${tried}; pass the format explicitly`,
      );
    }
    format = found;
  } catch (err) {
    await close();
    throw readError(err);
  }
  const parser: FlowParser = format.createParser();
  let started = false;

  async function* batches(): AsyncGenerator<FlowBatch, void, undefined> {
    if (started) throw new ForesightError('flow-file-consumed', `flow file ${path} is already being read`);
    started = true;
    let lineNo = 1;
    let pending: string[] = [];
    const emit = (lines: string[]): FlowBatch => {
      const r = parseLines(format, lines, { parser });
      const batch: FlowBatch = { format: format.name, ...r, lines: lines.length, firstLine: lineNo };
      lineNo += lines.length;
      return batch;
    };
    try {
      let source: string[] | undefined = prefix;
      while (source !== undefined) {
        let start = 0;
        while (start < source.length) {
          const take = Math.min(batchLines - pending.length, source.length - start);
          if (pending.length === 0 && take === batchLines) pending = source.slice(start, start + take);
          else for (let k = 0; k < take; k++) pending.push(source[start + k] as string);
          start += take;
          if (pending.length === batchLines) {
            yield emit(pending);
            pending = [];
          }
        }
        let next: IteratorResult<string[], void>;
        try {
          next = await chunks.next();
        } catch (err) {
          throw readError(err);
        }
        source = next.done ? undefined : next.value;
      }
      if (pending.length > 0) yield emit(pending);
    } finally {
      await close();
    }
  }

  async function* rawLines(): AsyncGenerator<string[], void, undefined> {
    if (started) throw new ForesightError('flow-file-consumed', `flow file ${path} is already being read`);
    started = true;
    try {
      if (prefix.length > 0) yield prefix;
      for (;;) {
        let next: IteratorResult<string[], void>;
        try {
          next = await chunks.next();
        } catch (err) {
          throw readError(err);
        }
        if (next.done) break;
        yield next.value;
      }
    } finally {
      await close();
    }
  }

  return {
    path,
    format,
    gzip,
    headerLines: () => parser.headerLines(),
    batches,
    rawLines,
    close,
  };
}

/** Shorthand: the batches of a file, format sniffed unless given. */
export async function* readFlowFile(
  path: string,
  options: FlowFileOptions = {},
): AsyncGenerator<FlowBatch, void, undefined> {
  const file = await openFlowFile(path, options);
  yield* file.batches();
}
