/**
 * Vocabularies that several formats share: protocol names and numbers, action words, RFC 3339
 * times (parsed to fractional epoch milliseconds, keeping micro- and nanosecond digits that
 * `Date.parse` would drop), and Kubernetes label lists.
 */
import type { FlowRecord } from '../flow-record.js';
import { checkTs, invalid } from './fields.js';

/**
 * Protocol names as Argus, UNSW-NB15, Zeek, Calico and /etc/protocols spell them. `rtp`/`rtcp`
 * are Argus's names for UDP flows it recognised as RTP; `arp` and `any` are not IP protocols and
 * map to 0 ("the format does not say").
 */
const PROTO_BY_NAME: Readonly<Record<string, number>> = {
  hopopt: 0,
  icmp: 1,
  igmp: 2,
  ggp: 3,
  ipip: 4,
  ipv4: 4,
  st: 5,
  tcp: 6,
  egp: 8,
  igp: 9,
  pup: 12,
  udp: 17,
  hmp: 20,
  rdp: 27,
  ipv6: 41,
  'ipv6-route': 43,
  'ipv6-frag': 44,
  rsvp: 46,
  gre: 47,
  esp: 50,
  ah: 51,
  'ipv6-icmp': 58,
  icmpv6: 58,
  icmp6: 58,
  'ipv6-no': 59,
  'ipv6-nonxt': 59,
  'ipv6-opts': 60,
  eigrp: 88,
  ospf: 89,
  ospfigp: 89,
  pim: 103,
  vrrp: 112,
  l2tp: 115,
  sctp: 132,
  udplite: 136,
  rtp: 17,
  rtcp: 17,
  arp: 0,
  any: 0,
  unknown_transport: 0,
};

/** Protocol number for a name (case-insensitive) or a decimal string; undefined when unknown. */
export function protoByName(name: string): number | undefined {
  const known = PROTO_BY_NAME[name.toLowerCase()];
  if (known !== undefined) return known;
  if (/^\d{1,3}$/.test(name)) {
    const n = Number(name);
    return n <= 255 ? n : undefined;
  }
  return undefined;
}

/** Strict protocol: a number 0..255 or a known name, else an invalid-field error. */
export function proto(field: string, v: unknown): number {
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v <= 255) return v;
    return invalid(field, v, 'is not an IANA protocol number (0..255)');
  }
  if (typeof v === 'string') {
    const n = protoByName(v);
    if (n !== undefined) return n;
  }
  return invalid(field, v, 'is not a known protocol');
}

/** Lower-case protocol name for the common ones, else the number as a string. */
export function protoName(n: number, icmpv6Name = 'ipv6-icmp'): string {
  switch (n) {
    case 1:
      return 'icmp';
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 58:
      return icmpv6Name;
    default:
      return String(n);
  }
}

const ALLOW_WORDS = new Set(['allow', 'allowed', 'accept', 'accepted']);
const DENY_WORDS = new Set(['deny', 'denied', 'reject', 'rejected']);

/** allow|deny and the synonyms collectors use (ACCEPT/REJECT, allowed/denied), any case. */
export function action(field: string, v: unknown): FlowRecord['action'] {
  if (typeof v === 'string') {
    const w = v.toLowerCase();
    if (ALLOW_WORDS.has(w)) return 'allow';
    if (DENY_WORDS.has(w)) return 'deny';
  }
  return invalid(field, v, 'is not an action (allow|deny|accept|reject)');
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?([Zz]|[+-]\d{2}:?\d{2})?$/;

/**
 * RFC 3339 / ISO 8601 date-time to epoch milliseconds, keeping sub-millisecond digits as a
 * fraction. A missing zone is read as UTC (collectors that omit it log in UTC).
 */
export function rfc3339(field: string, v: unknown): number {
  if (typeof v !== 'string') return invalid(field, v, 'is not an RFC 3339 time');
  const m = RFC3339.exec(v);
  if (!m) return invalid(field, v, 'is not an RFC 3339 time');
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return invalid(field, v, 'is not a valid date-time');
  }
  let ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  if (frac) ms += Number(`0.${frac}`) * 1000;
  if (zone && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    ms -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4))) * 60_000;
  }
  // Keep microseconds, drop the float noise of nanosecond digits.
  return checkTs(field, Math.round(ms * 1000) / 1000, v);
}

/** Epoch ms (possibly fractional) to RFC 3339 UTC with microseconds. */
export function isoMicros(ts: number): string {
  let secMs = Math.floor(ts / 1000) * 1000;
  let micros = Math.round((ts - secMs) * 1000);
  if (micros >= 1_000_000) {
    secMs += 1000;
    micros -= 1_000_000;
  }
  return `${new Date(secMs).toISOString().slice(0, 19)}.${String(micros).padStart(6, '0')}Z`;
}

/** Parses `key=value` strings into a map, stripping one of the given prefixes from each key. */
export function labelList(items: unknown, stripPrefix?: string): Record<string, string> | undefined {
  if (!Array.isArray(items)) return undefined;
  const out: Record<string, string> = {};
  let any = false;
  for (const item of items) {
    if (typeof item !== 'string') continue;
    let entry = item;
    if (stripPrefix !== undefined) {
      if (!entry.startsWith(stripPrefix)) continue;
      entry = entry.slice(stripPrefix.length);
    }
    const eq = entry.indexOf('=');
    if (eq <= 0) continue;
    const key = entry.slice(0, eq);
    if (key === '__proto__') continue;
    out[key] = entry.slice(eq + 1);
    any = true;
  }
  return any ? out : undefined;
}

/** Inverse of labelList. */
export function labelStrings(labels: Readonly<Record<string, string>> | undefined, prefix = ''): string[] {
  if (!labels) return [];
  return Object.entries(labels).map(([k, v]) => `${prefix}${k}=${v}`);
}
