/**
 * The TypeScript types of the custom resources are generated from crds/*.yaml: this fails when
 * the committed types drift from the CRDs (fix: npx tsx scripts/gen-crd-types.ts).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { OUTPUT_FILE, generateFromRepo } from '../../../scripts/gen-crd-types.js';

describe('CRD types', () => {
  it('match what the CRDs generate', async () => {
    const generated = await generateFromRepo(process.cwd());
    assert.equal(
      readFileSync(OUTPUT_FILE, 'utf8'),
      generated,
      `${OUTPUT_FILE} is out of date: run npx tsx scripts/gen-crd-types.ts`,
    );
  });
});
