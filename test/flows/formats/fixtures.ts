/**
 * Test helpers: read the format fixtures and run a fresh parser over them.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { FlowRecord } from '../../../src/flows/flow-record.js';
import type { FlowFormat, LineOutcome } from '../../../src/flows/formats/types.js';

export const FIXTURE_DIR = new URL('../../fixtures/formats/', import.meta.url);

/** The lines of a fixture, without the empty string after the final newline. */
export function fixtureLines(name: string): string[] {
  const lines = readFileSync(new URL(name, FIXTURE_DIR), 'utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

export function parseAll(format: FlowFormat, lines: readonly string[]): LineOutcome[] {
  const parser = format.createParser();
  return lines.map((l) => parser.parse(l));
}

export function flowsOf(outcomes: readonly LineOutcome[]): FlowRecord[] {
  return outcomes.flatMap((o) => (o.kind === 'flows' ? o.flows : []));
}

/** The single flow of an outcome (fails the test otherwise). */
export function single(outcome: LineOutcome | undefined): FlowRecord {
  assert.ok(outcome, 'no outcome');
  assert.equal(outcome.kind, 'flows', `expected flows, got ${JSON.stringify(outcome)}`);
  assert.ok(outcome.kind === 'flows');
  assert.equal(outcome.flows.length, 1);
  return outcome.flows[0] as FlowRecord;
}

export function errorOf(outcome: LineOutcome | undefined): { reason: string; detail: string } {
  assert.ok(outcome && outcome.kind === 'error', `expected error, got ${JSON.stringify(outcome)}`);
  return outcome;
}
