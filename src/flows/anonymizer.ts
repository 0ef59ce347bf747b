/**
 * Keyed, prefix-preserving, reversible address anonymization (Crypto-PAn, Xu et al. 2002).
 *
 * Bit i of the token is bit i of the address XOR the first bit of AES_K(first i address bits ‖
 * pad bits i…127). Two addresses sharing a k-bit prefix therefore share a k-bit token prefix, and
 * the key holder can walk the bits back. All 32 (IPv4) or 128 (IPv6) AES blocks of one address
 * are independent, so they are encrypted in a single ECB cipher call; a bounded two-generation
 * cache serves the addresses a cluster repeats all day.
 *
 * Tokens are rendered as `t4:<8 hex>` and `t6:<32 hex>` so that a token can never be mistaken
 * for (or collide with) a raw address in the store or the logs.
 */
import { createCipheriv, type Cipher } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import { ForesightError } from '../errors.js';
import { ipv4ToInt, ipv6ToWords, intToIpv4, wordsToIpv6 } from '../util/ip.js';

export const KEY_BYTES = 32;

export interface AddressAnonymizer {
  /** Token for an address; non-addresses (already tokens, names) pass through unchanged. */
  anonymize(address: string): string;
  /** The address behind a token (key holders only); throws ForesightError `not-a-token`. */
  reveal(token: string): string;
  readonly enabled: boolean;
}

/** Identity anonymizer: anonymization switched off. */
export const noAnonymization: AddressAnonymizer = {
  enabled: false,
  anonymize: (a) => a,
  reveal: (t) => t,
};

export function isToken(value: string): boolean {
  return value.startsWith('t4:') || value.startsWith('t6:');
}

export class CryptoPan implements AddressAnonymizer {
  readonly enabled = true;
  private readonly cipher: Cipher;
  private readonly pad: Buffer;
  /** Pad as four big-endian words, the form the IPv6 path masks with. */
  private readonly padWords: Uint32Array;
  private readonly block4 = Buffer.alloc(32 * 16);
  private readonly block6 = Buffer.alloc(128 * 16);
  private current = new Map<string, string>();
  private previous = new Map<string, string>();

  constructor(
    key: Buffer,
    private readonly cacheSize = 100_000,
  ) {
    if (key.length !== KEY_BYTES) {
      throw new ForesightError('anon-key', `anonymization key must be ${KEY_BYTES} bytes, got ${key.length}`);
    }
    this.cipher = createCipheriv('aes-128-ecb', key.subarray(0, 16), null);
    this.cipher.setAutoPadding(false);
    this.pad = this.encrypt(key.subarray(16, 32));
    this.padWords = new Uint32Array([0, 4, 8, 12].map((o) => this.pad.readUInt32BE(o)));
    // Bytes beyond the address bits are pad bytes in every block; write them once.
    for (let i = 0; i < 32; i++) this.pad.copy(this.block4, i * 16);
    for (let i = 0; i < 128; i++) this.pad.copy(this.block6, i * 16);
  }

  anonymize(address: string): string {
    const cached = this.current.get(address) ?? this.previous.get(address);
    if (cached !== undefined) {
      if (this.cacheSize > 0 && !this.current.has(address)) this.remember(address, cached);
      return cached;
    }
    let token: string;
    if (isIPv4(address)) token = 't4:' + hex32(this.anonymize4(ipv4ToInt(address)));
    else if (isIPv6(address)) {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
      token = mapped?.[1]
        ? 't4:' + hex32(this.anonymize4(ipv4ToInt(mapped[1])))
        : 't6:' + Array.from(this.anonymize6(ipv6ToWords(address)), hex32).join('');
    } else return address;
    if (this.cacheSize > 0) this.remember(address, token);
    return token;
  }

  reveal(token: string): string {
    if (/^t4:[0-9a-f]{8}$/.test(token)) return intToIpv4(this.reveal4(parseInt(token.slice(3), 16)));
    if (/^t6:[0-9a-f]{32}$/.test(token)) {
      const words = new Uint32Array(4);
      for (let w = 0; w < 4; w++) words[w] = parseInt(token.slice(3 + w * 8, 11 + w * 8), 16);
      return wordsToIpv6(this.reveal6(words));
    }
    throw new ForesightError('not-a-token', `"${token}" is not an anonymization token`);
  }

  private remember(address: string, token: string): void {
    if (this.current.size >= this.cacheSize) {
      // Two generations approximate LRU with O(1) work: entries used since the last swap survive.
      this.previous = this.current;
      this.current = new Map();
    }
    this.current.set(address, token);
  }

  private encrypt(blocks: Buffer): Buffer {
    return this.cipher.update(blocks);
  }

  private anonymize4(addr: number): number {
    const blocks = this.block4;
    const padWord = this.padWords[0]!;
    for (let i = 0; i < 32; i++) {
      const mask = i === 0 ? 0 : (0xffffffff << (32 - i)) >>> 0;
      blocks.writeUInt32BE(((addr & mask) | (padWord & ~mask)) >>> 0, i * 16);
    }
    const out = this.encrypt(blocks);
    let flips = 0;
    for (let i = 0; i < 32; i++) flips |= (out[i * 16]! >>> 7) << (31 - i);
    return (addr ^ flips) >>> 0;
  }

  private anonymize6(addr: Uint32Array): Uint32Array {
    const blocks = this.block6;
    for (let i = 0; i < 128; i++) writePrefixBlock(blocks, i * 16, addr, this.padWords, i);
    const out = this.encrypt(blocks);
    const result = Uint32Array.from(addr);
    for (let i = 0; i < 128; i++) {
      const word = i >>> 5;
      result[word] = (result[word]! ^ ((out[i * 16]! >>> 7) << (31 - (i & 31)))) >>> 0;
    }
    return result;
  }

  /** Reversal is sequential (bit i needs original bits 0…i−1): one block per bit, key holders only. */
  private reveal4(token: number): number {
    let addr = 0;
    const block = Buffer.from(this.pad);
    const padWord = this.padWords[0]!;
    for (let i = 0; i < 32; i++) {
      const mask = i === 0 ? 0 : (0xffffffff << (32 - i)) >>> 0;
      block.writeUInt32BE(((addr & mask) | (padWord & ~mask)) >>> 0, 0);
      const bit = ((token >>> (31 - i)) & 1) ^ (this.encrypt(block)[0]! >>> 7);
      addr = (addr | (bit << (31 - i))) >>> 0;
    }
    return addr;
  }

  private reveal6(token: Uint32Array): Uint32Array {
    const addr = new Uint32Array(4);
    const block = Buffer.from(this.pad);
    for (let i = 0; i < 128; i++) {
      writePrefixBlock(block, 0, addr, this.padWords, i);
      const word = i >>> 5;
      const shift = 31 - (i & 31);
      const bit = ((token[word]! >>> shift) & 1) ^ (this.encrypt(block)[0]! >>> 7);
      addr[word] = (addr[word]! | (bit << shift)) >>> 0;
    }
    return addr;
  }
}

/** Writes the 128-bit block "first `bits` bits of addr, then the pad" at `offset`. */
function writePrefixBlock(
  buf: Buffer,
  offset: number,
  addr: Uint32Array,
  pad: Uint32Array,
  bits: number,
): void {
  for (let w = 0; w < 4; w++) {
    const taken = Math.min(32, Math.max(0, bits - w * 32));
    const mask = taken === 0 ? 0 : taken === 32 ? 0xffffffff : (0xffffffff << (32 - taken)) >>> 0;
    buf.writeUInt32BE(((addr[w]! & mask) | (pad[w]! & ~mask)) >>> 0, offset + w * 4);
  }
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
