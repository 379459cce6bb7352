// A container's health check, as Docker's HEALTHCHECK and podman's --health-*
// options define it, from either spelling: Quadlet's Health* keys (planner)
// or docker run flags (podgen run). One parser, so a value generate accepts is
// the value the check runs with. Pure.

import { parseDuration } from '../values/duration';

/** The command a check runs inside the container. */
export type HealthTest = { readonly kind: 'shell'; readonly command: string } | { readonly kind: 'exec'; readonly argv: readonly string[] };

export type HealthAction = 'none' | 'kill' | 'restart' | 'stop';

export interface StartupCheck {
  readonly test: HealthTest;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Failures before the container is restarted; 0: no limit. */
  readonly retries: number;
  /** Successes needed before the regular check takes over (at least 1). */
  readonly successes: number;
}

export interface HealthConfig {
  readonly test: HealthTest;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failures that make the container unhealthy. */
  readonly retries: number;
  /** Failures in this first stretch after a start do not count. */
  readonly startPeriodMs: number;
  readonly onFailure: HealthAction;
  readonly maxLogCount: number;
  readonly maxLogSize: number;
  readonly startup: StartupCheck | undefined;
}

/** podman's and Docker's defaults (podman 5: --health-interval 30s, --health-timeout 30s, --health-retries 3, log of 5 entries of 500 bytes). */
export const HEALTH_DEFAULTS = { intervalMs: 30_000, timeoutMs: 30_000, retries: 3, startPeriodMs: 0, maxLogCount: 5, maxLogSize: 500 } as const;

/** The health options by their docker run names (without --health-): cmd, interval, timeout, ... */
export type HealthOptions = Readonly<Partial<Record<HealthOption, string>>>;
export const HEALTH_OPTIONS = [
  'cmd',
  'interval',
  'timeout',
  'retries',
  'start-period',
  'on-failure',
  'log-destination',
  'max-log-count',
  'max-log-size',
  'startup-cmd',
  'startup-interval',
  'startup-timeout',
  'startup-retries',
  'startup-success',
] as const;
export type HealthOption = (typeof HEALTH_OPTIONS)[number];

export type HealthParse = { readonly ok: true; readonly config: HealthConfig | undefined } | { readonly ok: false; readonly option: HealthOption; readonly message: string };

/** Go's time.ParseDuration (what podman reads these with), in milliseconds, or undefined. */
export function durationMs(value: string): number | undefined {
  const d = parseDuration(value);
  return d.ok ? d.value : undefined;
}

/** podman's reading of --health-cmd: a JSON array is the exec form (["CMD", ...] or ["CMD-SHELL", "..."]), anything else a shell command. */
export function healthTest(value: string): HealthTest | 'none' | { readonly error: string } {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'none') return 'none';
  if (!v.startsWith('[')) return { kind: 'shell', command: v };
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch {
    return { error: `"${value}" starts like a JSON array but is not one; write a shell command, or ["CMD", "program", "arg", ...]` };
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((x): x is string => typeof x === 'string')) return { error: `"${value}" must be a JSON array of strings` };
  const [form, ...rest] = parsed;
  if (form === 'NONE') return 'none';
  if (form === 'CMD-SHELL') return rest.length === 1 ? { kind: 'shell', command: rest[0] as string } : { error: '["CMD-SHELL", ...] takes exactly one command string' };
  if (form === 'CMD') return rest.length > 0 ? { kind: 'exec', argv: rest } : { error: '["CMD"] needs a program to run' };
  // podman takes a bare JSON array as the exec form.
  return { kind: 'exec', argv: parsed };
}

/** The argv a check runs in the container. */
export function testArgv(t: HealthTest): string[] {
  return t.kind === 'shell' ? ['/bin/sh', '-c', t.command] : [...t.argv];
}

export function parseHealth(o: HealthOptions): HealthParse {
  const bad = (option: HealthOption, message: string): HealthParse => ({ ok: false, option, message });
  const dur = (option: HealthOption, fallback: number, disable = false): number | HealthParse => {
    const v = o[option];
    if (v === undefined || v === '') return fallback;
    if (disable && v === 'disable') return 0;
    const ms = durationMs(v);
    return ms === undefined ? bad(option, `"${v}" is not a duration; write it like 30s, 1m30s or 500ms`) : ms;
  };
  const count = (option: HealthOption, fallback: number): number | HealthParse => {
    const v = o[option];
    if (v === undefined || v === '') return fallback;
    return /^\d+$/.test(v) && Number(v) <= 1_000_000 ? Number(v) : bad(option, `"${v}" is not a whole number from 0 to 1000000`);
  };
  const cmd = o.cmd === undefined ? 'none' : healthTest(o.cmd);
  if (typeof cmd === 'object' && 'error' in cmd) return bad('cmd', cmd.error);
  const values = {
    interval: dur('interval', HEALTH_DEFAULTS.intervalMs, true),
    timeout: dur('timeout', HEALTH_DEFAULTS.timeoutMs),
    retries: count('retries', HEALTH_DEFAULTS.retries),
    startPeriod: dur('start-period', HEALTH_DEFAULTS.startPeriodMs),
    maxLogCount: count('max-log-count', HEALTH_DEFAULTS.maxLogCount),
    maxLogSize: count('max-log-size', HEALTH_DEFAULTS.maxLogSize),
    startupInterval: dur('startup-interval', HEALTH_DEFAULTS.intervalMs, true),
    startupTimeout: dur('startup-timeout', HEALTH_DEFAULTS.timeoutMs),
    startupRetries: count('startup-retries', 0),
    startupSuccess: count('startup-success', 0),
  };
  for (const value of Object.values(values)) if (typeof value === 'object') return value;
  const n = values as { [K in keyof typeof values]: number };
  const onFailure = o['on-failure'] ?? 'none';
  if (!['none', 'kill', 'restart', 'stop'].includes(onFailure)) return bad('on-failure', `"${onFailure}" is not one of none, kill, restart, stop`);
  const destination = o['log-destination'];
  if (destination !== undefined && destination !== '' && destination !== 'local') {
    return bad('log-destination', `"${destination}": the podgen engine keeps the health log with the container's state (local) only`);
  }
  if (n.timeout === 0) return bad('timeout', 'a health check needs a timeout above 0');
  const startupCmd = o['startup-cmd'] === undefined ? 'none' : healthTest(o['startup-cmd']);
  if (typeof startupCmd === 'object' && 'error' in startupCmd) return bad('startup-cmd', startupCmd.error);
  if (cmd === 'none') {
    if (startupCmd !== 'none') return bad('startup-cmd', 'a startup check needs a regular one to hand over to: set HealthCmd= (--health-cmd) too');
    return { ok: true, config: undefined };
  }
  if (n.interval === 0) return { ok: true, config: undefined }; // interval "disable": no automatic checks (podman)
  return {
    ok: true,
    config: {
      test: cmd,
      intervalMs: n.interval,
      timeoutMs: n.timeout,
      retries: Math.max(1, n.retries),
      startPeriodMs: n.startPeriod,
      onFailure: onFailure as HealthAction,
      maxLogCount: Math.max(1, n.maxLogCount),
      maxLogSize: n.maxLogSize,
      startup:
        startupCmd === 'none'
          ? undefined
          : { test: startupCmd, intervalMs: n.startupInterval || HEALTH_DEFAULTS.intervalMs, timeoutMs: n.startupTimeout || HEALTH_DEFAULTS.timeoutMs, retries: n.startupRetries, successes: Math.max(1, n.startupSuccess) },
    },
  };
}
