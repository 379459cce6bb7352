// Durations as podman reads them (Go's time.ParseDuration): "30s", "1m30s",
// "500ms", "1.5h"; "0" alone. Pure.

import { bad, ok, type Parsed } from './parsed';

const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds. */
export function parseDuration(v: string): Parsed<number> {
  if (v === '0') return ok(0);
  const parts = [...v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== v) return bad(`"${v}" is not a duration; write it like 30s, 1m30s or 500ms`);
  return ok(parts.reduce((sum, p) => sum + Number(p[1]) * (UNIT_MS[p[2] as string] as number), 0));
}
