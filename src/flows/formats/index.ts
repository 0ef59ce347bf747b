/**
 * The registry of flow-log format adapters: lookup by name and format sniffing.
 */
import { ForesightError } from '../../errors.js';
import { argusCsv } from './argus-csv.js';
import { awsVpc } from './aws-vpc.js';
import { azureNsg } from './azure-nsg.js';
import { azureVnet } from './azure-vnet.js';
import { calico } from './calico.js';
import { foresightNdjson } from './foresight-ndjson.js';
import { gcpVpc } from './gcp-vpc.js';
import { hubble } from './hubble.js';
import type { FlowFormat, FormatName } from './types.js';
import { unswNb15 } from './unsw-nb15.js';
import { zeekJson } from './zeek-json.js';
import { zeekTsv } from './zeek-tsv.js';

export type { FlowFormat, FlowParser, FormatName, LineOutcome } from './types.js';
export { flowRecordProblem } from './fields.js';

/** Every adapter; on equal sniff scores the earlier one wins. */
export const FORMATS: readonly FlowFormat[] = Object.freeze([
  foresightNdjson,
  awsVpc,
  azureNsg,
  azureVnet,
  gcpVpc,
  hubble,
  calico,
  zeekTsv,
  zeekJson,
  argusCsv,
  unswNb15,
]);

/** Scores below this mean "not recognised". */
export const SNIFF_THRESHOLD = 0.5;

export function formatNames(): FormatName[] {
  return FORMATS.map((f) => f.name);
}

export function getFormat(name: string): FlowFormat {
  const format = FORMATS.find((f) => f.name === name);
  if (!format) {
    throw new ForesightError(
      'unknown-format',
      `unknown flow format "${name}"; valid formats: ${formatNames().join(', ')}`,
    );
  }
  return format;
}

/** Every adapter's score for these lines, best first. */
export function sniffScores(lines: readonly string[]): { format: FlowFormat; score: number }[] {
  return FORMATS.map((format) => {
    let score: number;
    try {
      score = format.sniff(lines);
    } catch {
      score = 0;
    }
    return { format, score: Number.isFinite(score) ? score : 0 };
  }).sort((a, b) => b.score - a.score);
}

/** The adapter with the highest score above SNIFF_THRESHOLD, or undefined. */
export function sniffFormat(lines: readonly string[]): FlowFormat | undefined {
  const best = sniffScores(lines)[0];
  return best && best.score > SNIFF_THRESHOLD ? best.format : undefined;
}
