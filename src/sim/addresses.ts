/**
 * IPv4 arithmetic the simulator needs (CIDR parsing, drawing addresses inside a block) and the
 * public address blocks it draws external peers from.
 *
 * The blocks are publicly routed and allocated (never private, CGNAT, multicast, reserved or
 * documentation space), so the output looks like a real cluster's flow log: anonymizers and
 * "is this address internal?" checks see what they would see in production.
 */
import { ForesightError } from '../errors.js';
import type { Rng } from './random.js';

export interface Cidr {
  base: number;
  size: number;
  text: string;
}

export function ipToInt(ip: string): number {
  const parts = ip.split('.');
  if (parts.length !== 4) throw new ForesightError('sim-bad-address', `not an IPv4 address: ${ip}`);
  let n = 0;
  for (const part of parts) {
    const v = Number(part);
    if (!/^\d{1,3}$/.test(part) || v > 255)
      throw new ForesightError('sim-bad-address', `not an IPv4 address: ${ip}`);
    n = n * 256 + v;
  }
  return n >>> 0;
}

export function intToIp(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function isIpv4(text: string): boolean {
  return /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(text) && text.split('.').every((p) => Number(p) <= 255);
}

export function parseCidr(text: string): Cidr {
  const [ip, bitsText] = text.split('/');
  const bits = Number(bitsText);
  if (ip === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new ForesightError('sim-bad-address', `not an IPv4 CIDR: ${text}`);
  }
  const size = 2 ** (32 - bits);
  const base = Math.floor(ipToInt(ip) / size) * size;
  return { base, size, text };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  return n >= cidr.base && n < cidr.base + cidr.size;
}

/** An address inside the block, avoiding the network (.0) and broadcast (.255) host numbers. */
export function randomHostIn(cidr: Cidr, rng: Rng): string {
  for (;;) {
    const n = cidr.base + rng.int(cidr.size);
    const last = n & 255;
    if (cidr.size <= 2 || (last !== 0 && last !== 255)) return intToIp(n);
  }
}

/** An address from one of several blocks, weighted by block size so large blocks are not starved. */
export function randomHostInAny(cidrs: readonly Cidr[], rng: Rng): string {
  let total = 0;
  for (const c of cidrs) total += c.size;
  let r = rng.next() * total;
  for (const c of cidrs) {
    if (r < c.size) return randomHostIn(c, rng);
    r -= c.size;
  }
  return randomHostIn(cidrs[cidrs.length - 1] as Cidr, rng);
}

/** Consumer cable/DSL/fiber and mobile carrier blocks (ARIN, RIPE, APNIC, LACNIC). */
export const RESIDENTIAL_BLOCKS: readonly string[] = [
  '73.0.0.0/8',
  '24.0.0.0/8',
  '76.0.0.0/8',
  '98.0.0.0/8',
  '172.56.0.0/14',
  '86.128.0.0/10',
  '92.0.0.0/10',
  '2.0.0.0/12',
  '79.192.0.0/10',
  '84.128.0.0/10',
  '1.128.0.0/11',
  '49.176.0.0/12',
  '177.0.0.0/8',
  '189.0.0.0/8',
];

/** Cloud and VPS hosting blocks: where scanners, brute-forcers, C&C servers and drop sites live. */
export const HOSTING_BLOCKS: readonly string[] = [
  '45.146.164.0/22',
  '185.220.100.0/22',
  '193.32.162.0/24',
  '89.248.160.0/21',
  '104.248.0.0/16',
  '159.65.0.0/16',
  '139.59.0.0/16',
  '5.188.0.0/16',
  '94.102.48.0/20',
];

/** Widely spread consumer and IoT-heavy blocks: where DDoS bots sit. */
export const BOTNET_BLOCKS: readonly string[] = [
  '14.0.0.0/8',
  '36.0.0.0/8',
  '39.0.0.0/8',
  '41.0.0.0/8',
  '59.0.0.0/8',
  '61.0.0.0/8',
  '88.0.0.0/8',
  '95.0.0.0/8',
  '112.0.0.0/8',
  '113.0.0.0/8',
  '117.0.0.0/8',
  '125.0.0.0/8',
  '171.0.0.0/8',
  '175.0.0.0/8',
  '180.0.0.0/8',
  '181.0.0.0/8',
  '186.0.0.0/8',
  '187.0.0.0/8',
  '190.0.0.0/8',
  '200.0.0.0/8',
  '201.0.0.0/8',
  '220.0.0.0/8',
  '222.0.0.0/8',
];

/** "The Internet" for fan-out scans: every block above. */
export const INTERNET_BLOCKS: readonly string[] = [
  ...RESIDENTIAL_BLOCKS,
  ...HOSTING_BLOCKS,
  ...BOTNET_BLOCKS,
];
