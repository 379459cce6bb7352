// Sizes as docker and podman write them (docker/go-units RAMInBytes): a number,
// decimals allowed, with an optional binary unit b, k, m, g, t, p (any case,
// "i" and "b" allowed after it: 512m, 1.5g, 2GiB, 1024). Pure.

import { bad, ok, type Parsed } from './parsed';

const UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/** Bytes (whole: a fraction of a byte is dropped, as go-units does). */
export function parseSize(v: string): Parsed<number> {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp]?)i?b?$/i.exec(v.trim());
  if (!m) return bad(`"${v}" is not a size; write it like 512m, 1.5g or 1073741824 (units b, k, m, g, t, p)`);
  const bytes = Math.floor(Number(m[1]) * (UNITS[(m[2] as string).toLowerCase()] as number));
  return Number.isSafeInteger(bytes) ? ok(bytes) : bad(`"${v}" is too large`);
}
