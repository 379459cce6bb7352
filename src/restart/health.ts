// A container's health, as its checks left it (native/health.c writes
// RECORD.health; this only reads it): Docker's Health object for inspect, and
// the word ps adds to the status. Pure, but for the read.

import { readIfExists } from '../resolve/readIfExists';
import type { RestartRecord } from './record';
import { RECORD_SIDE_FILES, recordPath } from './record';
import type { HealthState } from './state';

/** Undo native/health.c's escaping of a check's output (\\n, \\t, \\\\, \\xHH). */
function unescape(s: string): string {
  return s.replace(/\\(n|t|\\|x([0-9a-f]{2}))/g, (_, c: string, hex: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : c === 'n' ? '\n' : c === 't' ? '\t' : '\\'));
}

const iso = (us: string | undefined): string => new Date(Math.round(Number(us ?? 0) / 1000)).toISOString();

/** The health of the container's current run (a state left by an earlier run means: starting). */
export function parseHealth(text: string, record: RestartRecord | undefined): HealthState {
  const kv = new Map<string, string>();
  const log: Array<HealthState['Log'][number]> = [];
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    const value = line.slice(eq + 1);
    if (key !== 'log') {
      kv.set(key, value);
      continue;
    }
    const m = /^(\d+) (\d+) (-?\d+) ?(.*)$/.exec(value);
    if (m) log.push({ Start: iso(m[1]), End: iso(m[2]), ExitCode: Number(m[3]), Output: unescape(m[4] ?? '') });
  }
  // Checks of an earlier run of the container (before a restart) say nothing about this one.
  if (record?.pid !== undefined && Number(kv.get('pid') ?? 0) !== record.pid) return { Status: 'starting', FailingStreak: 0, Log: [] };
  const status = kv.get('status');
  return { Status: status === 'healthy' || status === 'unhealthy' ? status : 'starting', FailingStreak: Number(kv.get('streak') ?? 0) || 0, Log: log };
}

/** The health of UNIT's container, when it has a health check that has run. */
export function readHealth(unit: string, user: boolean, record: RestartRecord | undefined, env: NodeJS.ProcessEnv = process.env): HealthState | undefined {
  const text = readIfExists(`${recordPath(unit, user, env)}${RECORD_SIDE_FILES.health}`);
  return text === undefined ? undefined : parseHealth(text, record);
}
