/**
 * CIDR sets: "is this address inside any of these ranges". Used to tell internal from external
 * destinations and, in the controller, for allowlists.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { ForesightError } from '../errors.js';
import { ipv4ToInt, ipv6ToWords } from './ip.js';

interface Range4 {
  base: number;
  mask: number;
}
interface Range6 {
  words: Uint32Array;
  bits: number;
}

export class CidrSet {
  private readonly v4: Range4[] = [];
  private readonly v6: Range6[] = [];

  constructor(readonly cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const [address = '', lengthText] = cidr.split('/');
      const full = isIPv4(address) ? 32 : isIPv6(address) ? 128 : -1;
      const bits = lengthText === undefined ? full : Number(lengthText);
      if (full < 0 || !Number.isInteger(bits) || bits < 0 || bits > full) {
        throw new ForesightError('invalid-cidr', `"${cidr}" is not a valid CIDR`);
      }
      if (full === 32) {
        const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
        this.v4.push({ base: (ipv4ToInt(address) & mask) >>> 0, mask });
      } else this.v6.push({ words: ipv6ToWords(address), bits });
    }
  }

  get size(): number {
    return this.v4.length + this.v6.length;
  }

  contains(address: string): boolean {
    if (isIPv4(address)) {
      const n = ipv4ToInt(address);
      return this.v4.some((r) => (n & r.mask) >>> 0 === r.base);
    }
    if (!isIPv6(address)) return false;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped?.[1]) return this.contains(mapped[1]);
    const words = ipv6ToWords(address);
    return this.v6.some((r) => prefixEqual(words, r.words, r.bits));
  }
}

function prefixEqual(a: Uint32Array, b: Uint32Array, bits: number): boolean {
  for (let w = 0; w < 4 && bits > 0; w++, bits -= 32) {
    const take = Math.min(32, bits);
    const mask = take === 32 ? 0xffffffff : (0xffffffff << (32 - take)) >>> 0;
    if (((a[w]! ^ b[w]!) & mask) >>> 0 !== 0) return false;
  }
  return true;
}

/** Private, shared and unique-local ranges: the default notion of "inside the cluster network". */
export const PRIVATE_CIDRS = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7'];
