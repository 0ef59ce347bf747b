import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createSimulator, defaultAttackPlan } from '../../src/sim/index.js';
import { HOUR, MONDAY } from './support.js';

// A gc() handle without --expose-gc on the command line, so the retained heap can be measured.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function retainedMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

describe('sim/lazy', () => {
  it('generates 1M flows lazily: the heap does not grow with the number of flows', () => {
    const start = MONDAY + 12 * HOUR;
    const sim = createSimulator({ seed: 1, start, rate: 2000, attacks: defaultAttackPlan(start, 2 * HOUR) });
    const baseline = retainedMb();
    const it = sim.flows(start + 24 * HOUR);
    let count = 0;
    let peak = 0;
    let bytes = 0;
    while (count < 1_000_000) {
      const r = it.next();
      if (r.done === true) break;
      bytes += r.value.bytes ?? 0;
      count++;
      if (count % 250_000 === 0) peak = Math.max(peak, retainedMb() - baseline);
    }
    assert.equal(count, 1_000_000);
    assert.ok(bytes > 0);
    // Holding 1M FlowRecords would take hundreds of MB; a lazy generator holds a few stream heads.
    assert.ok(peak < 32, `retained heap grew by ${peak.toFixed(1)} MB while the generator was live`);
    it.return(undefined);
  });
});
