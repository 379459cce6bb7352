// Docker restart policy -> what the unit says. Two ways, chosen by whether
// podgen-unit (native/, built by npm install) is there:
//
// - managed (the restart manager): systemd keeps the supervision with its own
//   Restart= (so a killed podgen process never loses a restart), and
//   podgen-unit's hooks on the unit's Exec lines add what systemd 252 cannot
//   say: Docker's back-off, on-failure:N's count reset by a start by hand, a
//   stop by hand that is neither a failure nor forgotten at boot, the boot
//   rules of unless-stopped and on-failure (native/hooks.c, native/start.c);
// - static (no C compiler): the closest systemd 252 settings, with the
//   differences listed in docs/restart-policies.md.
//
// Pure: the planners place the lines; `podgen update --restart` writes the
// same settings as a drop-in.

import type { RestartPolicy } from './policy';
import { describeRestartPolicy } from './policy';

/** Docker's first restart delay (moby restartmanager: backoff starts at 100 ms). */
export const DOCKER_INITIAL_BACKOFF = '100ms';

/** The restart manager's record of a unit (native/record.c); %S is /var/lib, or the user manager's state root for user units (record.stateDir). */
export const RECORD_DIR = 'podgen/state';
export const RECORD_IN_UNIT = `%S/${RECORD_DIR}/%n`;
/** The environment variable that carries the policy to the hooks (a drop-in can change it live). */
export const POLICY_VARIABLE = 'PODGEN_RESTART_POLICY';

export interface Setting {
  readonly section: 'Unit' | 'Service';
  readonly key: string;
  readonly value: string;
}

const svc = (key: string, value: string): Setting => ({ section: 'Service', key, value });
const unit = (key: string, value: string): Setting => ({ section: 'Unit', key, value });

/** The policy as the hooks read it: Docker's spelling, "no" when none was given, "systemd" for a plain Restart=. */
export function policyWord(policy: RestartPolicy | undefined): string {
  if (!policy) return 'no';
  return policy.kind === 'systemd' ? 'systemd' : describeRestartPolicy(policy);
}

/** Whether the policy's boot rule can keep a unit down, so the unit needs the gate (ExecCondition=). */
export function needsGate(policy: RestartPolicy | undefined): boolean {
  return policy?.kind === 'unless-stopped' || policy?.kind === 'on-failure';
}

/** Whether the policy restarts on its own (and so implies coming back at boot, as Docker's containers do). */
export function restarts(policy: RestartPolicy | undefined): boolean {
  return policy !== undefined && policy.kind !== 'no' && policy.kind !== 'systemd';
}

/**
 * The restart manager's settings. systemd's Restart= does the restarting, at once (RestartSec=0):
 * podgen-unit waits the back-off at the start of the next run, where a stop ends the wait at
 * once. always and unless-stopped restart whatever the end; on-failure lets systemd restart
 * failures only, and the hooks make systemd's idea of a failure Docker's (non-zero exit,
 * death by any signal) and stop on-failure:N when its N restarts are spent. No start-rate
 * limit: Docker never gives up on these.
 */
export function managedSettings(policy: RestartPolicy | undefined): Setting[] {
  const env = svc('Environment', `${POLICY_VARIABLE}=${policyWord(policy)}`);
  const restarting = [unit('StartLimitIntervalSec', '0'), svc('RestartSec', '0')];
  switch (policy?.kind) {
    case undefined:
    case 'no':
      return [env, svc('Restart', 'no')];
    case 'always':
    case 'unless-stopped':
      return [env, ...restarting, svc('Restart', 'always')];
    case 'on-failure':
      return [env, ...restarting, svc('Restart', 'on-failure')];
    case 'systemd':
      return [env]; // the user's own [Service] Restart= is already in the unit
    default: {
      const never: never = policy;
      return never;
    }
  }
}

/** Without podgen-unit: the closest static systemd 252 settings (docs/restart-policies.md lists what differs). */
export function staticSettings(policy: RestartPolicy | undefined): Setting[] {
  // Docker never gives up on these, so systemd's default start-rate limit (5 starts in 10 s) must not stop them.
  const forever = [unit('StartLimitIntervalSec', '0')];
  switch (policy?.kind) {
    case undefined:
      return [];
    case 'no':
      return [svc('Restart', 'no')];
    case 'always':
    case 'unless-stopped':
      return [...forever, svc('Restart', 'always'), svc('RestartSec', DOCKER_INITIAL_BACKOFF)];
    case 'on-failure':
      if (policy.maxRetries === undefined) {
        return [...forever, svc('Restart', 'on-failure'), svc('RestartSec', DOCKER_INITIAL_BACKOFF)];
      }
      // N restarts = N+1 starts; an infinite interval makes the count last until reset-failed (Docker: until a manual start).
      return [unit('StartLimitIntervalSec', 'infinity'), unit('StartLimitBurst', String(policy.maxRetries + 1)), svc('Restart', 'on-failure'), svc('RestartSec', DOCKER_INITIAL_BACKOFF)];
    case 'systemd':
      return [];
    default: {
      const never: never = policy;
      return never;
    }
  }
}

/** The restart manager's hooks, as argument vectors for the unit's Exec lines (native/unit.h). */
export const hook = {
  gate: (helper: string): string[] => [helper, 'gate', RECORD_IN_UNIT],
  /** The back-off wait, then COMMAND (or nothing: an ExecStartPre= of its own). */
  wait: (helper: string, command: readonly string[]): string[] => [helper, 'wait', RECORD_IN_UNIT, ...(command.length ? ['--', ...command] : [])],
  /** Note a stop; with grace and signal also stop the container as `docker stop -t GRACE` does. */
  stop: (helper: string, graceful?: { grace: string; signal: string }): string[] => [helper, 'stop', RECORD_IN_UNIT, ...(graceful ? [graceful.grace, graceful.signal] : [])],
  ended: (helper: string): string[] => [helper, 'ended', RECORD_IN_UNIT, '%n'],
};
