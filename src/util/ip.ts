/** Conversions between textual IP addresses and their integer forms. Inputs are pre-validated. */

export function ipv4ToInt(address: string): number {
  let n = 0;
  for (const part of address.split('.')) n = n * 256 + Number(part);
  return n >>> 0;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** IPv6 text (with `::`, an optional zone and an optional trailing dotted quad) to four words. */
export function ipv6ToWords(address: string): Uint32Array {
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const v4 = ipv4ToInt(dotted[1]);
    text = text.slice(0, -dotted[1].length) + ((v4 >>> 16).toString(16) + ':' + (v4 & 0xffff).toString(16));
  }
  const [head = '', tail] = text.split('::');
  const headParts = head === '' ? [] : head.split(':');
  const tailParts = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [
    ...headParts,
    ...Array<string>(8 - headParts.length - tailParts.length).fill('0'),
    ...tailParts,
  ];
  const words = new Uint32Array(4);
  for (let w = 0; w < 4; w++) {
    words[w] = ((parseInt(groups[2 * w] ?? '0', 16) << 16) | parseInt(groups[2 * w + 1] ?? '0', 16)) >>> 0;
  }
  return words;
}

/** Four words to the canonical (RFC 5952) IPv6 text form. */
export function wordsToIpv6(words: Uint32Array): string {
  const groups: number[] = [];
  for (const w of words) groups.push(w >>> 16, w & 0xffff);
  // Longest run of two or more zero groups becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return hex.slice(0, bestStart).join(':') + '::' + hex.slice(bestStart + bestLen).join(':');
}
