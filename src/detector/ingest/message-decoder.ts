/**
 * Turns one NATS message into flows and dead letters. A message holds one or many lines of one
 * format (NDJSON for most collectors). The format comes from the `Foresight-Format` header, else
 * from what was sniffed earlier on the same subject, else it is sniffed now. Header-dependent
 * formats (Zeek TSV, CSVs, AWS custom) travel with their header lines in `Foresight-Header`.
 */
import type { MsgHdrs } from 'nats';
import type { DeadLetter } from '../../flows/dead-letter.js';
import type { FlowRecord } from '../../flows/flow-record.js';
import { getFormat, sniffFormat } from '../../flows/formats/index.js';
import type { FlowFormat } from '../../flows/formats/types.js';
import { parseLines } from '../../flows/parse-lines.js';
import { errorMessage } from '../../errors.js';

export const FLOW_HEADERS = {
  format: 'Foresight-Format',
  header: 'Foresight-Header',
  control: 'Foresight-Control',
} as const;

export interface Decoded {
  format: string;
  flows: FlowRecord[];
  deadLetters: DeadLetter[];
  skipped: Record<string, number>;
  /** `eos`: the publisher reached the end of its input (replay); windows may close. */
  control?: string;
}

export class MessageDecoder {
  private readonly bySubject = new Map<string, FlowFormat>();
  private readonly decoder = new TextDecoder();

  decode(subject: string, data: Uint8Array, headers: MsgHdrs | undefined): Decoded {
    const control = headers?.get(FLOW_HEADERS.control);
    if (control) return { format: 'control', flows: [], deadLetters: [], skipped: {}, control };
    const text = this.decoder.decode(data);
    const lines = text.split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    let format: FlowFormat | undefined;
    let header: string[] | undefined;
    try {
      const named = headers?.get(FLOW_HEADERS.format);
      format = named ? getFormat(named) : (this.bySubject.get(subject) ?? sniffFormat(lines.slice(0, 5)));
      const headerText = headers?.get(FLOW_HEADERS.header);
      if (headerText) header = JSON.parse(headerText) as string[];
    } catch (err) {
      return this.whole(subject, text, 'malformed', `message headers: ${errorMessage(err)}`);
    }
    if (!format) {
      return this.whole(
        subject,
        text,
        'unknown-format',
        'no adapter recognises this message; set Foresight-Format',
      );
    }
    this.bySubject.set(subject, format);
    const parsed = parseLines(format, lines, { header, subject });
    return { format: format.name, ...parsed };
  }

  private whole(subject: string, raw: string, reason: DeadLetter['reason'], detail: string): Decoded {
    return { format: 'unknown', flows: [], skipped: {}, deadLetters: [{ reason, detail, subject, raw }] };
  }
}
