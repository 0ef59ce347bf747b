/**
 * Builds test/fixtures/features/ctu13-windows.json: real window feature rows for the model tests.
 *
 * Runs the CTU-13 scenario 6 capture (Argus CSV) through the real WindowAggregator with the
 * detector's default window settings (10 s buckets, 60 s windows), source entities for every
 * address and destination entities for CTU's own network (147.32.0.0/16), then keeps every window
 * of the botnet host, a sample of the windows of the hosts CTU labels Normal, and a sample of the
 * background windows. Addresses are kept raw: the capture is public and already pseudonymised
 * by its authors at the subnet level; the fixture is test input, not detector output.
 *
 *   npx tsx scripts/make-feature-fixture.ts [path-to-binetflow.csv] [out.json]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WindowAggregator } from '../src/detector/features/aggregator.js';
import { entityOf } from '../src/detector/features/entities.js';
import { FEATURE_SCHEMA } from '../src/detector/features/schema.js';
import { ModelRng } from '../src/detector/models/random.js';
import type { FeatureRow } from '../src/detector/store/types.js';
import { readFlowFile } from '../src/flows/flow-file.js';
import { CidrSet } from '../src/util/cidr.js';

const IN = process.argv[2] ?? '/work/shared/datasets/ctu13_scenario6/capture20110816_1001-1105.binetflow.csv';
const OUT = process.argv[3] ?? 'test/fixtures/features/ctu13-windows.json';
const BOTNET = '147.32.84.165';
const NORMAL_ROWS = 900;
const BACKGROUND_ROWS = 2400;

type Label = 'botnet' | 'normal' | 'background';

async function main(): Promise<void> {
  const internal = new CidrSet(['147.32.0.0/16']);
  const agg = new WindowAggregator({
    bucketMs: 10_000,
    windowMs: 60_000,
    latenessMs: 10_000,
    idleFlushMs: 5_000,
    peerHistoryMs: 7 * 86_400_000,
  });
  const rows: FeatureRow[] = [];
  const normalHosts = new Set<string>();
  let flows = 0;
  for await (const batch of readFlowFile(IN, { format: 'argus-csv' })) {
    for (const f of batch.flows) {
      flows++;
      if (f.label?.includes('From-Normal')) normalHosts.add(f.src);
      const dst = internal.contains(f.dst) ? entityOf('destination', f.dst, undefined) : undefined;
      agg.add(f, entityOf('source', f.src, undefined), dst);
    }
    rows.push(...agg.advance().rows);
  }
  agg.endOfStream();
  rows.push(...agg.advance().rows);

  const labelOf = (r: FeatureRow): Label =>
    r.entity === `ip:${BOTNET}` && r.kind === 'source'
      ? 'botnet'
      : normalHosts.has(r.entity.slice(3)) && r.kind === 'source'
        ? 'normal'
        : 'background';
  const byLabel: Record<Label, FeatureRow[]> = { botnet: [], normal: [], background: [] };
  for (const r of rows) byLabel[labelOf(r)].push(r);
  const rng = new ModelRng(6);
  const pick = (list: FeatureRow[], k: number) => Array.from(rng.sample(list.length, k), (i) => list[i]!);
  const kept = [
    ...byLabel.botnet,
    ...pick(byLabel.normal, NORMAL_ROWS),
    ...pick(byLabel.background, BACKGROUND_ROWS),
  ];
  kept.sort((a, b) => a.windowEnd - b.windowEnd || (a.entity < b.entity ? -1 : a.entity > b.entity ? 1 : 0));

  // float32 is what models see; 7 significant digits keep every value exact after Math.fround.
  const compact = (v: number) => Number(Math.fround(v).toPrecision(7));
  const fixture = {
    source: 'CTU-13 scenario 6 (capture20110816_1001-1105.binetflow.csv), see test/fixtures/SOURCES.md',
    schemaVersion: FEATURE_SCHEMA.version,
    features: FEATURE_SCHEMA.names,
    window: { bucketMs: 10_000, windowMs: 60_000 },
    columns: ['entity', 'kind', 'windowEnd', 'label', 'maliciousFlows', 'vector'],
    rows: kept.map((r) => [
      r.entity,
      r.kind,
      r.windowEnd,
      labelOf(r),
      r.maliciousFlows,
      r.vector.map(compact),
    ]),
  };
  await mkdir(dirname(OUT), { recursive: true });
  await writeFile(OUT, JSON.stringify(fixture) + '\n');
  console.log(
    `${flows} flows → ${rows.length} windows (botnet ${byLabel.botnet.length}, normal ${byLabel.normal.length}, ` +
      `background ${byLabel.background.length}); kept ${kept.length} → ${OUT}`,
  );
}

await main();
