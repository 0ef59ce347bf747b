/**
 * docs/metrics.md lists exactly the metrics the code declares, with their type and labels, and
 * every name follows the Prometheus conventions (foresight_ prefix, base units, _total on
 * counters and only on counters).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  defaultMetrics,
  documentedMetrics,
  scanSourceMetrics,
  type MetricInfo,
} from '../support/metrics-catalog.js';

/** Why a name breaks the conventions, or undefined. */
function namingProblem(m: MetricInfo): string | undefined {
  if (!/^foresight_[a-z][a-z0-9]*(_[a-z0-9]+)*$/.test(m.name)) return 'not foresight_ + lower snake case';
  if (m.type === 'counter' && !m.name.endsWith('_total')) return 'a counter must end in _total';
  if (m.type !== 'counter' && m.name.endsWith('_total')) return 'only counters end in _total';
  if (/_(milliseconds|ms|microseconds|minutes|hours|kilobytes|megabytes|percent)(_|$)/.test(m.name))
    return 'not a base unit (seconds, bytes, ratio)';
  if (m.type === 'histogram' && !/_(seconds|bytes|ratio)$/.test(m.name))
    return 'a histogram name ends in its unit';
  return undefined;
}

describe('metrics documentation', () => {
  const scan = scanSourceMetrics();

  it('finds the declarations it expects in src/', () => {
    // A sanity floor: the scan itself must not silently find nothing.
    assert.ok(scan.metrics.size >= 30, `only ${scan.metrics.size} metrics found`);
    assert.ok(scan.metrics.has('foresight_consumer_pending_messages'));
    assert.ok(scan.metrics.has('foresight_controller_incidents'));
  });

  it('recognises every foresight_ metric name in src/ as a declaration', () => {
    assert.deepEqual(
      scan.unrecognised,
      [],
      'declare metrics through counter/gauge/histogram(registry, name, help, labels)',
    );
    assert.deepEqual(scan.conflicts, [], 'one name, one type and label set');
  });

  it('follows the Prometheus naming conventions', () => {
    const problems = [...scan.metrics.values()].flatMap((m) => {
      const p = namingProblem(m);
      return p ? [`${m.name} (${m.origin}): ${p}`] : [];
    });
    assert.deepEqual(problems, []);
  });

  it('documents every declared metric with its type and labels, and nothing else', async () => {
    const docs = documentedMetrics();
    const declared = new Map([...(await defaultMetrics()), ...scan.metrics]);
    const documented = new Map(docs.map((d) => [d.name, d]));
    assert.equal(documented.size, docs.length, 'a metric is listed twice');
    const missing = [...declared.keys()].filter((n) => !documented.has(n)).sort();
    const extra = [...documented.keys()].filter((n) => !declared.has(n)).sort();
    assert.deepEqual({ missing, extra }, { missing: [], extra: [] }, 'docs/metrics.md differs from the code');
    for (const [name, info] of declared) {
      const doc = documented.get(name)!;
      assert.equal(doc.type, info.type, `${name}: type`);
      // Default metrics get their labels at collection time; the scan knows the declared ones.
      if (info.origin !== 'prom-client defaults')
        assert.deepEqual(doc.labels, info.labels, `${name}: labels`);
      assert.ok(doc.meaning.length > 10, `${name}: meaning`);
    }
  });
});
