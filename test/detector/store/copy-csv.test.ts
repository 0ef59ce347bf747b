import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { arrayLiteral, csvChunks, csvField, csvRow } from '../../../src/detector/store/copy-csv.js';

describe('csvField', () => {
  const cases: [string, unknown, string][] = [
    ['null is an unquoted empty field', null, ''],
    ['undefined is NULL too', undefined, ''],
    ['empty string is quoted, so it is not NULL', '', '""'],
    ['plain text is quoted', 'abc', '"abc"'],
    ['quotes are doubled', 'a"b', '"a""b"'],
    ['commas and newlines stay inside quotes', 'a,b\nc', '"a,b\nc"'],
    ['backslash needs no escape in CSV', 'a\\b', '"a\\b"'],
    ['integer', 42, '42'],
    ['float', 0.25, '0.25'],
    ['NaN', Number.NaN, 'NaN'],
    ['infinity', -Infinity, '-Infinity'],
    ['bigint', 2n ** 62n, '4611686018427387904'],
    ['boolean', true, 't'],
    ['date as ISO UTC', new Date(Date.UTC(2011, 7, 16, 1, 2, 3, 4)), '2011-08-16T01:02:03.004Z'],
    ['number array', [1.5, 0, Number.NaN], '"{1.5,0,NaN}"'],
    [
      'text array with quotes, commas, backslashes, NULL',
      ['a"b', 'c,d', 'e\\f', null],
      '"{""a\\""b"",""c,d"",""e\\\\f"",NULL}"',
    ],
    ['the string NULL inside an array stays a string', ['NULL'], '"{""NULL""}"'],
    ['empty array', [], '"{}"'],
    ['object as JSON', { a: 'x"y' }, '"{""a"":""x\\""y""}"'],
    ['bytes as bytea hex', Uint8Array.from([0, 255, 16]), '\\x00ff10'],
  ];
  for (const [name, value, expected] of cases) {
    test(name, () => assert.equal(csvField(value), expected));
  }

  test('an invalid date is refused', () => {
    assert.throws(() => csvField(new Date(Number.NaN)), { code: 'store-encode' });
  });
});

describe('arrayLiteral', () => {
  test('nested arrays', () =>
    assert.equal(
      arrayLiteral([
        [1, 2],
        [3, null],
      ]),
      '{{1,2},{3,NULL}}',
    ));
});

describe('csvChunks', () => {
  test('splits rows into chunks that together are every line in order', () => {
    const rows = Array.from({ length: 5 }, (_, i) => [i, `r${i}`]);
    const chunks = [...csvChunks(rows, 2)];
    assert.equal(chunks.length, 3);
    assert.equal(chunks.join(''), rows.map(csvRow).join(''));
  });

  test('no rows, no chunks', () => assert.deepEqual([...csvChunks([])], []));
});
