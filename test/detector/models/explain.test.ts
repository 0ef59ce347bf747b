import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FEATURE_SCHEMA } from '../../../src/detector/features/schema.js';
import { explainRow, summarize, topDeviations } from '../../../src/detector/models/explain.js';
import { fitScaler } from '../../../src/detector/models/scaler.js';
import { ctu13Windows, isSpamWindow, trainingRows } from './fixture.js';

const F = FEATURE_SCHEMA.index;
const fixture = ctu13Windows();
const scaler = fitScaler(trainingRows().matrix);
const detectors = [
  { detector: 'isolation-forest', score: 0.993, raw: 0.64 },
  { detector: 'ocsvm', score: 0.42, raw: -0.05 },
  { detector: 'dbscan', score: 0.97, raw: 3.2 },
];

describe('explanations', () => {
  const spam = fixture.rows.find((r) => isSpamWindow(r) && r.maliciousFlows >= 30)!;

  it("reports the SPAM window's fan-out and failed connections as its top deviations", () => {
    const top = topDeviations(scaler, spam.vector, 5);
    assert.equal(top.length, 5);
    const names = top.map((f) => f.name);
    assert.ok(names.includes('peers_log') && names.includes('failed_ratio'), names.join(','));
    for (let i = 1; i < top.length; i++)
      assert.ok(Math.abs(top[i - 1]!.deviation) >= Math.abs(top[i]!.deviation));
    const peers = top.find((f) => f.name === 'peers_log')!;
    assert.equal(peers.baseline, scaler.median[F.peers_log]);
    assert.ok(
      Math.abs(peers.deviation - (peers.value - peers.baseline) / scaler.scale[F.peers_log]!) < 1e-12,
    );
  });

  it('summarises in one line: feature phrases, then the detectors that noticed', () => {
    const { summary } = explainRow(scaler, spam.vector, detectors);
    assert.match(summary, /fan-out to \d+ peers, \d+ new/);
    assert.match(summary, /\d+% failed\/SYN-only/);
    assert.match(summary, /; isolation-forest 0\.99, dbscan 0\.97$/);
    assert.ok(!summary.includes('\n') && !summary.includes('ocsvm'));
  });

  it('never blames a feature the models do not use', () => {
    const hourly = { ...scaler, columns: scaler.columns.filter((c) => c !== F.peers_log) };
    assert.ok(!topDeviations(hourly, spam.vector, 30).some((f) => f.name === 'peers_log'));
    assert.ok(!topDeviations(scaler, spam.vector, 30).some((f) => f.name.startsWith('hour_')));
  });

  it('says so when nothing is far from normal, and still names the strongest detector', () => {
    const median = [...scaler.median];
    const s = summarize(topDeviations(scaler, median), [{ detector: 'kmeans', score: 0.3, raw: 1 }], median);
    assert.equal(s, 'no feature far from its usual range; kmeans 0.30');
  });
});
