// A network's Subnet= (CIDR, IPv4 or IPv6) and IPRange= (CIDR or FIRST-LAST)
// as numbers, so that two subnets can be compared for overlap. Pure.

import { isIP } from 'node:net';
import { bad, ok, type Parsed } from './parsed';

export interface Subnet {
  readonly family: 4 | 6;
  /** The network address (host bits cleared) as a number of 32 or 128 bits. */
  readonly first: bigint;
  readonly last: bigint;
  readonly prefix: number;
  /** Canonical spelling, e.g. 10.89.0.0/24. */
  readonly text: string;
}

function ipToBigint(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
  const [head = '', tail = ''] = ip.includes('::') ? ip.split('::') : [ip, ''];
  const words = (s: string): number[] => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = words(head);
  const t = words(tail);
  const all = ip.includes('::') ? [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t] : h;
  return all.reduce((n, w) => (n << 16n) | BigInt(w), 0n);
}

export function bigintToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join('.');
  const words = Array.from({ length: 8 }, (_, i) => ((n >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::').replace(/:{3,}/, '::');
}

export function parseSubnet(value: string): Parsed<Subnet> {
  const slash = value.indexOf('/');
  const hint = 'write a CIDR subnet such as 10.89.0.0/24 or fd00:1::/64';
  if (slash === -1) return bad(`"${value}" is not a subnet: the /PREFIX is missing (${hint})`);
  const ip = value.slice(0, slash);
  const family = isIP(ip);
  if (family !== 4 && family !== 6) return bad(`"${value}" is not a subnet: "${ip}" is not an IP address (${hint})`);
  const bits = family === 4 ? 32 : 128;
  const prefixText = value.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText) || prefix > bits) return bad(`"${value}" is not a subnet: the prefix must be 0-${bits}`);
  const mask = prefix === 0 ? 0n : ((1n << BigInt(prefix)) - 1n) << BigInt(bits - prefix);
  const first = ipToBigint(ip, family) & mask;
  const last = first | (((1n << BigInt(bits)) - 1n) ^ mask);
  return ok({ family, first, last, prefix, text: `${bigintToIp(first, family)}/${prefix}` });
}

/** IPRange=: a CIDR inside the subnet, or FIRST-LAST addresses. */
export function parseIpRange(value: string): Parsed<{ readonly family: 4 | 6; readonly first: bigint; readonly last: bigint }> {
  if (value.includes('/')) return parseSubnet(value);
  const [a = '', b = '', ...rest] = value.split('-');
  const fa = isIP(a);
  if (rest.length > 0 || (fa !== 4 && fa !== 6) || isIP(b) !== fa) {
    return bad(`"${value}" is not an IP range: write a CIDR (10.89.0.128/25) or FIRST-LAST (10.89.0.10-10.89.0.99)`);
  }
  const first = ipToBigint(a, fa);
  const last = ipToBigint(b, fa);
  if (last < first) return bad(`"${value}" is not an IP range: ${b} comes before ${a}`);
  return ok({ family: fa, first, last });
}

export function subnetsOverlap(a: Subnet, b: Subnet): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

export function contains(subnet: Subnet, address: string): boolean {
  const family = isIP(address);
  if (family !== subnet.family) return false;
  const n = ipToBigint(address, family);
  return n >= subnet.first && n <= subnet.last;
}
