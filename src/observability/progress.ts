/**
 * Progress bars for long terminal jobs (replay, features, training, evaluation). Drawn on stderr
 * only when it is a terminal; elsewhere (CI, pods) a bar is a no-op and the job logs its summary.
 */
import { createReadStream } from 'node:fs';
import cliProgress from 'cli-progress';

export interface Progress {
  update(value: number, payload?: Record<string, string | number>): void;
  increment(by?: number): void;
  setTotal(total: number): void;
  stop(): void;
}

const silent: Progress = { update() {}, increment() {}, setTotal() {}, stop() {} };

export function createProgress(
  label: string,
  total: number,
  options: { unit?: string; enabled?: boolean } = {},
): Progress {
  if (!(options.enabled ?? process.stderr.isTTY)) return silent;
  const bar = new cliProgress.SingleBar(
    {
      format: `${label.padEnd(10)} {bar} {percentage}% | {value}/{total} ${options.unit ?? ''} | {rate}/s | ETA {eta_formatted}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = Date.now();
  let value = 0;
  bar.start(total, 0, { rate: 0 });
  const rate = () => Math.round(value / Math.max(0.001, (Date.now() - started) / 1000));
  return {
    update(v, payload) {
      value = v;
      bar.update(v, { rate: rate(), ...payload });
    },
    increment(by = 1) {
      value += by;
      bar.update(value, { rate: rate() });
    },
    setTotal(t) {
      bar.setTotal(t);
    },
    stop() {
      bar.stop();
    },
  };
}

/** Counts newline-terminated lines quickly (for a progress total); gzip files are not counted. */
export async function countLines(path: string): Promise<number> {
  let lines = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) lines++;
  }
  return lines;
}
