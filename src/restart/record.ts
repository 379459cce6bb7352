// The restart manager's record of a unit, read, and removed with its unit
// (never written: native/record.c is its one writer, under its lock). key=value lines; unknown keys are
// ignored, missing ones take their defaults, so either side can grow.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readIfExists } from '../resolve/readIfExists';
import { RECORD_DIR } from './unitSettings';

/** Where the container is in its life, as the hooks last wrote it. */
export type Phase = 'starting' | 'running' | 'waiting' | 'exited' | 'gave-up' | 'stopped' | 'shutdown';
const PHASES: readonly Phase[] = ['starting', 'running', 'waiting', 'exited', 'gave-up', 'stopped', 'shutdown'];

export interface RestartRecord {
  readonly phase: Phase | undefined;
  /** The boot (kernel boot ID) it was last written in. */
  readonly boot: string;
  readonly policy: string;
  /** Docker's RestartCount: automatic restarts since the last start by hand. */
  readonly restartCount: number;
  /** Docker's current back-off step, in ms (0 before the first). */
  readonly backoffMs: number;
  /** The last run's exit code, Docker's way (137 = SIGKILL); undefined before a run has ended. */
  readonly exitCode: number | undefined;
  /** The running container's init (a PID of the unit's manager), when podgen-unit start started it. */
  readonly pid: number | undefined;
  /** ms since the epoch; undefined when never. */
  readonly startedAt: number | undefined;
  readonly finishedAt: number | undefined;
  /** Waiting: when the restart is due (ms since the epoch). */
  readonly restartAt: number | undefined;
}

/**
 * %S of the unit's manager: /var/lib, or for --user the user manager's: $XDG_CONFIG_HOME (~/.config)
 * in systemd 252 (Debian 12), $XDG_STATE_HOME (~/.local/state) in later ones. The one that holds
 * podgen's records already wins; with neither yet, Debian 12's. PODGEN_STATE_DIR overrides all, for tests.
 */
export function stateDir(user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  if (env.PODGEN_STATE_DIR) return env.PODGEN_STATE_DIR;
  if (!user) return '/var/lib';
  const config = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  const state = env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return [config, state].find((d) => fs.existsSync(path.join(d, RECORD_DIR))) ?? config;
}

/**
 * The files beside a record (native/ writes them under these names): its lock, the grace period
 * `podgen stop -t` leaves for one stop, the health checks' state and that state's lock.
 */
export const RECORD_SIDE_FILES = { lock: '.lock', stopTimeout: '.stop-timeout', health: '.health', healthLock: '.health.lock' } as const;

/** The record of UNIT, as the unit's hooks name it (%S/podgen/state/%n). */
export function recordPath(unit: string, user: boolean, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(stateDir(user, env), RECORD_DIR, unit);
}

const msOf = (us: string | undefined): number | undefined => {
  const n = Number(us ?? 0);
  return Number.isFinite(n) && n > 0 ? Math.round(n / 1000) : undefined;
};

export function parseRecord(text: string): RestartRecord {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv.set(line.slice(0, eq), line.slice(eq + 1));
  }
  const phase = kv.get('phase');
  const exit = Number(kv.get('exit_code') ?? -1);
  return {
    phase: PHASES.find((p) => p === phase),
    boot: kv.get('boot') ?? '',
    policy: kv.get('policy') ?? '',
    restartCount: Number(kv.get('count') ?? 0) || 0,
    backoffMs: Number(kv.get('backoff_ms') ?? 0) || 0,
    exitCode: Number.isInteger(exit) && exit >= 0 ? exit : undefined,
    pid: Number(kv.get('pid') ?? 0) > 0 ? Number(kv.get('pid')) : undefined,
    startedAt: msOf(kv.get('started_rt')),
    finishedAt: msOf(kv.get('ended_rt')),
    restartAt: msOf(kv.get('not_before_rt')),
  };
}

/** Remove the record of UNIT and its side files (the unit is gone). */
export function removeRecord(unit: string, user: boolean, env: NodeJS.ProcessEnv = process.env): void {
  const record = recordPath(unit, user, env);
  for (const suffix of ['', ...Object.values(RECORD_SIDE_FILES)]) fs.rmSync(`${record}${suffix}`, { force: true });
}

export function readRecord(unit: string, user: boolean, env: NodeJS.ProcessEnv = process.env): RestartRecord | undefined {
  const text = readIfExists(recordPath(unit, user, env));
  return text === undefined ? undefined : parseRecord(text);
}
