/**
 * Decodes a verdict message from NATS and checks the fields the controller relies on, so a
 * malformed message is rejected with a reason instead of failing deeper in.
 */
import { ForesightError } from '../../errors.js';
import { VERDICT_VERSION, type Verdict } from '../../detector/scoring/verdict.js';

const unit = (x: unknown): boolean => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 1;

export function parseVerdict(data: Uint8Array | string): Verdict {
  let v: Partial<Verdict>;
  try {
    v = JSON.parse(typeof data === 'string' ? data : Buffer.from(data).toString('utf8')) as Partial<Verdict>;
  } catch (err) {
    throw new ForesightError('verdict-invalid', 'verdict is not JSON', { cause: err });
  }
  const fail = (why: string) =>
    new ForesightError('verdict-invalid', `verdict ${String(v.id ?? '?')}: ${why}`);
  if (typeof v !== 'object' || v === null)
    throw new ForesightError('verdict-invalid', 'verdict is not an object');
  if (v.version !== VERDICT_VERSION) throw fail(`unsupported version ${String(v.version)}`);
  if (typeof v.id !== 'string' || v.id === '') throw fail('missing id');
  const e = v.entity;
  if (
    !e ||
    (e.kind !== 'source' && e.kind !== 'destination') ||
    typeof e.key !== 'string' ||
    !Array.isArray(e.addresses)
  ) {
    throw fail('entity needs kind, key and addresses');
  }
  const s = v.scores;
  if (!s || !unit(s.anomaly) || !unit(s.impact) || !unit(s.confidence))
    throw fail('scores must be numbers in [0,1]');
  if (typeof v.scoredAt !== 'number' || !v.window || typeof v.window.end !== 'number')
    throw fail('missing scoredAt or window');
  return {
    ...v,
    targets: Array.isArray(v.targets) ? v.targets.filter((t) => typeof t?.address === 'string') : [],
    detectors: Array.isArray(v.detectors) ? v.detectors : [],
    explanation: {
      summary: v.explanation?.summary ?? '',
      features: Array.isArray(v.explanation?.features) ? v.explanation.features : [],
    },
    models: v.models ?? {},
  } as Verdict;
}
