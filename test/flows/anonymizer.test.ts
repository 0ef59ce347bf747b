import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CryptoPan, isToken } from '../../src/flows/anonymizer.js';
import { decodeKey } from '../../src/flows/anonymizer-key.js';
import { ipv4ToInt, ipv6ToWords, wordsToIpv6 } from '../../src/util/ip.js';

const KEY = Buffer.from('00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210', 'hex');

/** Length of the common bit prefix of two equal-length bit strings. */
function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return i;
}
const bits4 = (ip: string) => ipv4ToInt(ip).toString(2).padStart(32, '0');
const bits6 = (ip: string) => Array.from(ipv6ToWords(ip), (w) => w.toString(2).padStart(32, '0')).join('');
const tokenBits = (t: string) =>
  Array.from(t.slice(3).match(/.{8}/g) ?? [], (h) => parseInt(h, 16).toString(2).padStart(32, '0')).join('');

/** The sample key and trace of the Crypto-PAn reference distribution (sample_trace_raw/sanitized). */
const REFERENCE_KEY = Buffer.from([
  21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16, 216, 152, 143, 131, 121, 121, 101, 39,
  98, 87, 76, 45, 42, 132, 34, 2,
]);
const REFERENCE_V4 = [
  ['128.11.68.132', '135.242.180.132'],
  ['129.118.74.4', '134.136.186.123'],
  ['192.102.249.13', '252.138.62.131'],
  ['24.0.250.221', '100.15.198.226'],
  ['64.14.118.196', '0.255.183.58'],
  ['10.185.25.118', '117.161.29.118'],
];
/** IPv6 vectors published with the Go implementation (Yawning/cryptopan) for the same key. */
const REFERENCE_V6 = [
  ['::1', '78ff:f001:9fc0:20df:8380:b1f1:704:ed'],
  ['2001:db8::1', '4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1e'],
  ['2001:db8::2', '4401:2bc:603f:d91d:27f:ff8e:e6f1:dc1c'],
];

describe('CryptoPan', () => {
  const pan = new CryptoPan(KEY);

  it('matches the reference implementation on its sample trace', () => {
    const ref = new CryptoPan(REFERENCE_KEY);
    for (const [raw, anon] of REFERENCE_V4) {
      assert.equal(ref.anonymize(raw!), 't4:' + ipv4ToInt(anon!).toString(16).padStart(8, '0'), raw);
      assert.equal(ref.reveal(ref.anonymize(raw!)), raw);
    }
    for (const [raw, anon] of REFERENCE_V6) {
      const hex = Array.from(ipv6ToWords(anon!), (w) => w.toString(16).padStart(8, '0')).join('');
      assert.equal(ref.anonymize(raw!), 't6:' + hex, raw);
    }
  });

  it('maps the same address to the same token, and distinct addresses to distinct tokens', () => {
    assert.equal(pan.anonymize('10.1.2.3'), pan.anonymize('10.1.2.3'));
    assert.equal(new CryptoPan(KEY, 0).anonymize('10.1.2.3'), pan.anonymize('10.1.2.3'));
    assert.notEqual(pan.anonymize('10.1.2.3'), pan.anonymize('10.1.2.4'));
    assert.match(pan.anonymize('10.1.2.3'), /^t4:[0-9a-f]{8}$/);
    assert.match(pan.anonymize('2001:db8::1'), /^t6:[0-9a-f]{32}$/);
  });

  it('depends on the key', () => {
    const other = new CryptoPan(Buffer.alloc(32, 7));
    assert.notEqual(other.anonymize('10.1.2.3'), pan.anonymize('10.1.2.3'));
  });

  const prefixCases = [
    { a: '10.1.2.3', b: '10.1.2.200' },
    { a: '192.168.0.1', b: '192.168.255.1' },
    { a: '147.32.84.165', b: '147.32.80.9' },
    { a: '0.0.0.0', b: '255.255.255.255' },
  ];
  for (const { a, b } of prefixCases) {
    it(`preserves the shared prefix of ${a} and ${b}`, () => {
      const shared = commonPrefix(bits4(a), bits4(b));
      assert.equal(commonPrefix(tokenBits(pan.anonymize(a)), tokenBits(pan.anonymize(b))), shared);
    });
  }

  it('preserves exactly the shared prefix for random IPv4 pairs', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV4(), (a, b) => {
        const shared = commonPrefix(bits4(a), bits4(b));
        return commonPrefix(tokenBits(pan.anonymize(a)), tokenBits(pan.anonymize(b))) === shared;
      }),
    );
  });

  it('preserves exactly the shared prefix for random IPv6 pairs', () => {
    fc.assert(
      fc.property(fc.ipV6(), fc.ipV6(), (a, b) => {
        const shared = commonPrefix(bits6(a), bits6(b));
        return commonPrefix(tokenBits(pan.anonymize(a)), tokenBits(pan.anonymize(b))) === shared;
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips IPv4 and IPv6 through reveal', () => {
    fc.assert(fc.property(fc.ipV4(), (ip) => pan.reveal(pan.anonymize(ip)) === ip));
    fc.assert(
      fc.property(fc.ipV6(), (ip) => pan.reveal(pan.anonymize(ip)) === wordsToIpv6(ipv6ToWords(ip))),
      { numRuns: 100 },
    );
  });

  it('treats IPv4-mapped IPv6 as the IPv4 address', () => {
    assert.equal(pan.anonymize('::ffff:10.1.2.3'), pan.anonymize('10.1.2.3'));
  });

  it('passes non-addresses through and refuses to reveal them', () => {
    assert.equal(pan.anonymize('shop/frontend'), 'shop/frontend');
    const token = pan.anonymize('10.9.9.9');
    assert.equal(pan.anonymize(token), token);
    assert.ok(isToken(token));
    assert.throws(() => pan.reveal('10.9.9.9'), { code: 'not-a-token' });
  });

  it('keeps serving correct tokens after the cache generations turn over', () => {
    const small = new CryptoPan(KEY, 4);
    const ips = Array.from({ length: 20 }, (_, i) => `10.0.0.${i}`);
    const first = ips.map((ip) => small.anonymize(ip));
    assert.deepEqual(
      ips.map((ip) => small.anonymize(ip)),
      first,
    );
    assert.deepEqual(
      first,
      ips.map((ip) => pan.anonymize(ip)),
    );
  });
});

describe('decodeKey', () => {
  const cases = [
    { name: 'raw bytes', input: KEY },
    { name: 'hex', input: KEY.toString('hex') + '\n' },
    { name: 'base64', input: KEY.toString('base64') },
  ];
  for (const { name, input } of cases) {
    it(`accepts ${name}`, () => assert.deepEqual(decodeKey(input, 'test'), KEY));
  }
  it('rejects a short key naming its origin', () => {
    assert.throws(() => decodeKey('abcd', '/etc/foresight/key'), /\/etc\/foresight\/key must be 32/);
  });
});
