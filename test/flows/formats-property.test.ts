/**
 * Property test: no input makes an adapter throw, every answer is a well-formed LineOutcome, and
 * every flow an adapter returns is a valid FlowRecord. Inputs: random strings, random JSON, and
 * real fixture lines mutated the ways broken collectors and truncated transfers break them.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FORMATS, flowRecordProblem } from '../../src/flows/formats/index.js';
import type { FlowFormat, FlowParser, LineOutcome } from '../../src/flows/formats/types.js';
import { FIXTURE_DIR, fixtureLines } from './formats/fixtures.js';

const REASONS = new Set(['malformed', 'invalid-field', 'unknown-format', 'late', 'adapter-exception']);

function checkOutcome(out: LineOutcome): void {
  assert.ok(out !== null && typeof out === 'object', 'outcome is an object');
  switch (out.kind) {
    case 'flows':
      assert.ok(Array.isArray(out.flows) && out.flows.length > 0, 'flows is a non-empty array');
      for (const f of out.flows) assert.equal(flowRecordProblem(f), undefined, JSON.stringify(f));
      return;
    case 'header':
      return;
    case 'skip':
      assert.equal(typeof out.reason, 'string');
      return;
    case 'error':
      assert.ok(REASONS.has(out.reason), `reason ${out.reason}`);
      assert.ok(typeof out.detail === 'string' && out.detail.length > 0, 'detail names the problem');
      assert.notEqual(out.reason, 'adapter-exception', `adapter threw: ${out.detail}`);
      return;
    default:
      assert.fail(`unknown outcome ${JSON.stringify(out)}`);
  }
}

function parseChecked(parser: FlowParser, line: string): void {
  let out: LineOutcome | undefined;
  assert.doesNotThrow(() => {
    out = parser.parse(line);
  });
  checkOutcome(out as LineOutcome);
}

// Every real line we have, and what each adapter writes, as seeds for mutation.
const SEED_LINES: string[] = [
  ...readdirSync(FIXTURE_DIR).flatMap((name) => fixtureLines(name).slice(0, 30)),
  ...FORMATS.flatMap((f) =>
    f.write([
      {
        ts: 1714564800123.5,
        durationMs: 12,
        src: '10.0.0.1',
        dst: 'fd00::2',
        srcPort: 1234,
        dstPort: 443,
        proto: 6,
        action: 'deny',
        bytes: 10,
        packets: 1,
        outcome: 'attempt',
        direction: 'egress',
        srcK8s: { namespace: 'a', pod: 'p', workload: 'w', labels: { k: 'v' } },
        label: 'Malicious',
      },
    ]),
  ),
];

const HUGE = ['1e308', '-1', '99999999999999999999999', 'NaN', 'Infinity', '-0', '0x10', '1.5', '4294967296'];

/** One mutation of a real line. */
const mutatedLine = fc
  .record({
    seed: fc.constantFrom(...SEED_LINES),
    kind: fc.constantFrom('flip', 'truncate', 'swap', 'huge', 'empty', 'dup'),
    a: fc.nat(),
    b: fc.nat(),
    ch: fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
    huge: fc.constantFrom(...HUGE),
  })
  .map(({ seed, kind, a, b, ch, huge }) => {
    const sep = seed.includes('\t') ? '\t' : seed.startsWith('{') ? '"' : seed.includes(',') ? ',' : ' ';
    const parts = seed.split(sep);
    const i = parts.length > 0 ? a % parts.length : 0;
    const j = parts.length > 0 ? b % parts.length : 0;
    switch (kind) {
      case 'flip': {
        const p = seed.length > 0 ? a % seed.length : 0;
        return seed.slice(0, p) + ch + seed.slice(p + 1);
      }
      case 'truncate':
        return seed.slice(0, seed.length > 0 ? a % seed.length : 0);
      case 'swap': {
        const x = parts[i] ?? '';
        parts[i] = parts[j] ?? '';
        parts[j] = x;
        return parts.join(sep);
      }
      case 'huge': {
        const numbers = seed.match(/-?\d+(\.\d+)?/g)?.length ?? 0;
        const target = numbers > 0 ? a % numbers : 0;
        let n = 0;
        return seed.replace(/-?\d+(\.\d+)?/g, (m) => (n++ === target ? huge : m));
      }
      case 'empty':
        parts[i] = '';
        return parts.join(sep);
      default:
        return parts
          .slice(0, i)
          .concat(parts.slice(i - 1))
          .join(sep);
    }
  });

const randomJson = fc.jsonValue().map((v) => JSON.stringify(v));

/** Objects shaped a little like flow records, so the adapters get past their first checks. */
const flowishJson = fc
  .dictionary(
    fc.constantFrom(
      'timestamp', 'src_ip', 'dst_ip', 'action', 'protocol', 'src_port', 'bytes', 'flow', 'verdict', 'IP',
      'jsonPayload', 'properties', 'flowRecords', 'records', 'ts', 'id.orig_h', 'id.resp_h', 'start_time',
      'source_ip', 'dest_ip', 'duration_ms', 'src_k8s', 'outcome', 'conn_state', 'time', 'l4',
    ), // prettier-ignore
    fc.oneof(fc.jsonValue(), fc.constantFrom('10.0.0.1', '::1', 1714564800, '2024-05-01T00:00:00Z', 'allow')),
  )
  .map((o) => JSON.stringify(o));

describe('every adapter, any input: parse never throws and answers a valid LineOutcome', () => {
  for (const format of FORMATS) {
    describe(format.name, () => {
      it('random strings', () => {
        fc.assert(
          fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) =>
            parseChecked(format.createParser(), s),
          ),
        );
      });

      it('random JSON', () => {
        fc.assert(
          fc.property(fc.oneof(randomJson, flowishJson), (s) => parseChecked(format.createParser(), s)),
        );
      });

      it('mutated real lines, after a real header', () => {
        const header = headerFor(format);
        fc.assert(
          fc.property(mutatedLine, (line) => parseChecked(format.createParser({ header }), line)),
          { numRuns: 500 },
        );
      });

      it('mutated header lines followed by real lines', () => {
        fc.assert(
          fc.property(mutatedLine, (headerLine) => {
            const parser = format.createParser();
            parseChecked(parser, headerLine);
            for (const line of SEED_LINES.slice(0, 40)) parseChecked(parser, line);
          }),
          { numRuns: 50 },
        );
      });

      it('sniff stays in [0, 1] and never throws', () => {
        fc.assert(
          fc.property(fc.array(fc.oneof(mutatedLine, randomJson, fc.string()), { maxLength: 8 }), (lines) => {
            const score = format.sniff(lines);
            assert.ok(score >= 0 && score <= 1, `score ${score}`);
          }),
        );
      });
    });
  }
});

/** The header lines each adapter writes, so mutated data lines meet a configured parser. */
function headerFor(format: FlowFormat): string[] {
  const parser = format.createParser();
  for (const line of format.write([
    { ts: 1714564800000, src: '10.0.0.1', dst: '10.0.0.2', proto: 6, action: 'allow' },
  ])) {
    parser.parse(line);
  }
  return parser.headerLines();
}
