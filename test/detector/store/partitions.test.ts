import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  alignedRange,
  clipRange,
  covering,
  partitionName,
  type Range,
} from '../../../src/detector/store/partitions.js';

const t = (iso: string) => Date.parse(iso);
const iso = (r: Range) => [new Date(r.from).toISOString(), new Date(r.to).toISOString()];

describe('alignedRange', () => {
  const cases: [string, string, number, string[]][] = [
    ['midday, one day', '2011-08-16T12:00:00Z', 1, ['2011-08-16T00:00:00.000Z', '2011-08-17T00:00:00.000Z']],
    [
      'midnight belongs to the day it starts',
      '2011-08-17T00:00:00Z',
      1,
      ['2011-08-17T00:00:00.000Z', '2011-08-18T00:00:00.000Z'],
    ],
    [
      'last millisecond of a day',
      '2011-08-16T23:59:59.999Z',
      1,
      ['2011-08-16T00:00:00.000Z', '2011-08-17T00:00:00.000Z'],
    ],
    [
      'seven-day partitions align on the epoch',
      '2011-08-16T12:00:00Z',
      7,
      ['2011-08-11T00:00:00.000Z', '2011-08-18T00:00:00.000Z'],
    ],
  ];
  for (const [name, at, days, expected] of cases)
    test(name, () => assert.deepEqual(iso(alignedRange(t(at), days)), expected));
});

describe('partitionName', () => {
  test('table and first day', () =>
    assert.equal(partitionName('features', t('2011-08-16T00:00:00Z')), 'features_p20110816'));
});

describe('clipRange', () => {
  const day = (d: string) => alignedRange(t(`${d}T00:00:00Z`), 1);
  const cases: [string, Range, Range[], string, string[]][] = [
    [
      'nothing known: unchanged',
      alignedRange(t('2011-08-16T12:00:00Z'), 7),
      [],
      '2011-08-16T12:00:00Z',
      ['2011-08-11T00:00:00.000Z', '2011-08-18T00:00:00.000Z'],
    ],
    [
      'starts after an older partition that overlaps',
      alignedRange(t('2011-08-16T12:00:00Z'), 7),
      [day('2011-08-12')],
      '2011-08-16T12:00:00Z',
      ['2011-08-13T00:00:00.000Z', '2011-08-18T00:00:00.000Z'],
    ],
    [
      'ends before a newer partition',
      alignedRange(t('2011-08-16T12:00:00Z'), 7),
      [day('2011-08-17')],
      '2011-08-16T12:00:00Z',
      ['2011-08-11T00:00:00.000Z', '2011-08-17T00:00:00.000Z'],
    ],
  ];
  for (const [name, wanted, known, at, expected] of cases) {
    test(name, () => assert.deepEqual(iso(clipRange(wanted, known, t(at))), expected));
  }
});

describe('covering', () => {
  const known = [alignedRange(t('2011-08-16T00:00:00Z'), 1)];
  test('inside', () => assert.ok(covering(known, t('2011-08-16T05:00:00Z'))));
  test('upper bound is exclusive', () => assert.equal(covering(known, t('2011-08-17T00:00:00Z')), undefined));
});
