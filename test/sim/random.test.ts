import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Rng, hash32 } from '../../src/sim/random.js';

function sample(n: number, draw: () => number): number[] {
  return Array.from({ length: n }, draw);
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

describe('sim/random', () => {
  it('same seed gives the same sequence, another seed another', () => {
    const a = sample(
      100,
      (
        (r) => () =>
          r.nextU32()
      )(new Rng(42)),
    );
    const b = sample(
      100,
      (
        (r) => () =>
          r.nextU32()
      )(new Rng(42)),
    );
    const c = sample(
      100,
      (
        (r) => () =>
          r.nextU32()
      )(new Rng(43)),
    );
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('fork depends on the name and the seed, not on how far the parent has drawn', () => {
    const parent = new Rng(7);
    const before = parent.fork('requests').nextU32();
    for (let i = 0; i < 10; i++) parent.next();
    assert.equal(parent.fork('requests').nextU32(), before);
    assert.notEqual(parent.fork('scrapes').nextU32(), before);
    assert.notEqual(new Rng(8).fork('requests').nextU32(), before);
  });

  it('hash32 is FNV-1a', () => {
    assert.equal(hash32(''), 0x811c9dc5);
    assert.equal(hash32('a'), 0xe40c292c);
  });

  const cases: {
    name: string;
    draw: (r: Rng) => number;
    stat: (xs: number[]) => number;
    expect: number;
    tol: number;
  }[] = [
    { name: 'uniform mean', draw: (r) => r.next(), stat: mean, expect: 0.5, tol: 0.01 },
    { name: 'normal mean', draw: (r) => r.normal(), stat: mean, expect: 0, tol: 0.03 },
    { name: 'log-normal median', draw: (r) => r.logNormal(1000, 0.8), stat: median, expect: 1000, tol: 40 },
    { name: 'exponential mean', draw: (r) => r.exp(0.5), stat: mean, expect: 2, tol: 0.06 },
    { name: 'poisson mean (small λ)', draw: (r) => r.poisson(3.5), stat: mean, expect: 3.5, tol: 0.08 },
    { name: 'poisson mean (large λ)', draw: (r) => r.poisson(80), stat: mean, expect: 80, tol: 0.5 },
    { name: 'int stays in range', draw: (r) => r.int(7), stat: (xs) => Math.max(...xs), expect: 6, tol: 0 },
  ];
  for (const c of cases) {
    it(`distribution: ${c.name}`, () => {
      const r = new Rng(1234);
      const got = c.stat(sample(20000, () => c.draw(r)));
      assert.ok(Math.abs(got - c.expect) <= c.tol, `${c.name}: got ${got}, expected ${c.expect} ± ${c.tol}`);
    });
  }
});
