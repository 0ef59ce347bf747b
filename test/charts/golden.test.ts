/**
 * `helm template` output for the shared value sets, compared with golden files in ./golden.
 * After an intended change regenerate them with UPDATE_GOLDEN=1 and review the diff. Two parts
 * are normalised: the generated anonymization key (random by design) and the Grafana dashboard
 * JSON (its own test checks it; here only its digest).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CHART, VALUE_SETS, parseManifests, render, valueFiles } from './support.js';

const GOLDEN = join(import.meta.dirname, 'golden');

function normalise(text: string): string {
  const dashboard = readFileSync(join(CHART, 'dashboards/foresight.json'));
  const digest = createHash('sha256').update(dashboard).digest('hex');
  return text
    .split('\n---\n')
    .map((doc) =>
      doc.includes('foresight.dev/generated-key: "true"')
        ? doc.replace(/^( {2}key: ).*$/m, '$1<generated at install>')
        : doc.replace(
            /^( {2}foresight\.json: \|-\n)(?: {4}.*\n?)+/m,
            `$1    <dashboards/foresight.json sha256:${digest}>\n`,
          ),
    )
    .join('\n---\n');
}

describe('chart output (golden files)', () => {
  for (const set of Object.keys(VALUE_SETS)) {
    it(`renders the ${set} values as recorded`, async () => {
      const text = normalise(await render({ files: valueFiles(set) }));
      // Every document parses and has a kind: golden text alone would not notice broken YAML.
      for (const m of parseManifests(text))
        assert.ok(m.kind && m.metadata.name, JSON.stringify(m).slice(0, 200));
      const file = join(GOLDEN, `${set}.yaml.golden`);
      if (process.env.UPDATE_GOLDEN === '1') {
        mkdirSync(GOLDEN, { recursive: true });
        writeFileSync(file, text);
        return;
      }
      assert.ok(existsSync(file), `${file} is missing (UPDATE_GOLDEN=1 writes it)`);
      assert.equal(
        text,
        readFileSync(file, 'utf8'),
        `${set} differs from ${file} (UPDATE_GOLDEN=1 regenerates it)`,
      );
    });
  }

  it('renders the same output twice (nothing random but the generated key)', async () => {
    const files = valueFiles('default');
    assert.equal(normalise(await render({ files })), normalise(await render({ files })));
  });
});
