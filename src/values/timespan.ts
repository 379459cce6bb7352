// Time spans as systemd reads them (parse_sec() in systemd's time-util.c,
// systemd.time(7)): "90", "90s", "1min 30s", "1.5h", "500ms", "infinity". A
// number without a unit is seconds. Pure.

import { bad, ok, type Parsed } from './parsed';

const USEC_PER: Readonly<Record<string, number>> = {
  usec: 1, us: 1, 'µs': 1, 'μs': 1,
  msec: 1e3, ms: 1e3,
  seconds: 1e6, second: 1e6, sec: 1e6, s: 1e6,
  minutes: 60e6, minute: 60e6, min: 60e6, m: 60e6,
  hours: 3600e6, hour: 3600e6, hr: 3600e6, h: 3600e6,
  days: 86400e6, day: 86400e6, d: 86400e6,
  weeks: 604800e6, week: 604800e6, w: 604800e6,
  months: 2629800e6, month: 2629800e6, M: 2629800e6,
  years: 31557600e6, year: 31557600e6, y: 31557600e6,
};

/** Microseconds (Infinity for "infinity"). */
export function parseTimespan(v: string): Parsed<number> {
  const s = v.trim();
  if (s === 'infinity') return ok(Infinity);
  const problem = bad(`"${v}" is not a time span; write it like 90 (seconds), 90s, 1min 30s, 500ms or infinity`);
  if (s === '') return problem;
  let usec = 0;
  // A number is systemd's strtoll() (an optional + before digits) and an optional fraction with digits: "5." is refused, ".5" is not.
  const component = /\s*(\+?\d+(?:\.\d+)?|\.\d+)\s*([a-zA-Zµμ]*)/y;
  let at = 0;
  while (at < s.length) {
    component.lastIndex = at;
    const m = component.exec(s);
    if (!m || m[0] === '') return problem;
    const unit = m[2] as string;
    const per = unit === '' ? 1e6 : USEC_PER[unit];
    if (per === undefined) return bad(`"${v}": "${unit}" is not a time unit systemd knows (us, ms, s, min, h, d, w, M, y)`);
    usec += componentUsec(m[1] as string, per);
    at = component.lastIndex;
  }
  return ok(usec);
}

/**
 * One number times its unit, as systemd computes it: each fraction digit adds
 * digit × (unit / 10^k) with the division truncated, so "0.0000015s" is 1µs and
 * "2.9999999us" is 2µs.
 */
function componentUsec(number: string, per: number): number {
  const [whole = '', fraction = ''] = number.replace(/^\+/, '').split('.');
  let usec = Number(whole === '' ? 0 : whole) * per;
  let k = per;
  for (const digit of fraction) {
    k = Math.floor(k / 10);
    usec += Number(digit) * k;
  }
  return usec;
}
