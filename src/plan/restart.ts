// Docker restart policy -> the systemd 252 settings that express it
// statically. The parts systemd 252 cannot express (exponential backoff,
// backoff reset after 10 s of uptime, "unless-stopped" surviving reboots
// after a manual stop) are the restart manager's job; docs/restart-policies.md
// has the full table.

import type { RestartPolicy } from '../decode/restartPolicy';
import type { ServiceFile } from './serviceFile';

/** Docker's first restart delay (moby restartmanager: backoff starts at 100 ms). */
export const DOCKER_INITIAL_BACKOFF = '100ms';
/** Marker written by `podgen stop` for unless-stopped containers; %S is /var/lib (system) or ~/.local/state (user). */
export const STOPPED_MARKER = '%S/podgen/stopped/%n';

interface Setting {
  readonly section: 'Unit' | 'Service';
  readonly key: string;
  readonly value: string;
}

export function restartSettings(policy: RestartPolicy): Setting[] {
  const svc = (key: string, value: string): Setting => ({ section: 'Service', key, value });
  const unit = (key: string, value: string): Setting => ({ section: 'Unit', key, value });
  // Docker never gives up on these, so systemd's default start-rate limit (5 starts in 10 s) must not stop them.
  const forever = [unit('StartLimitIntervalSec', '0')];
  switch (policy.kind) {
    case 'no':
      return [svc('Restart', 'no')];
    case 'always':
      return [...forever, svc('Restart', 'always'), svc('RestartSec', DOCKER_INITIAL_BACKOFF)];
    case 'unless-stopped':
      return [
        ...forever,
        unit('ConditionPathExists', `!${STOPPED_MARKER}`),
        svc('Restart', 'always'),
        svc('RestartSec', DOCKER_INITIAL_BACKOFF),
      ];
    case 'on-failure':
      if (policy.maxRetries === undefined) {
        return [...forever, svc('Restart', 'on-failure'), svc('RestartSec', DOCKER_INITIAL_BACKOFF)];
      }
      // N restarts = N+1 starts; an infinite interval makes the count last until reset-failed (Docker: until a manual start).
      return [
        unit('StartLimitIntervalSec', 'infinity'),
        unit('StartLimitBurst', String(policy.maxRetries + 1)),
        svc('Restart', 'on-failure'),
        svc('RestartSec', DOCKER_INITIAL_BACKOFF),
      ];
    case 'systemd':
      return []; // the user's own [Service] Restart= is already in the unit
    default: {
      const never: never = policy;
      return never;
    }
  }
}

/** Apply a policy; settings the user wrote explicitly in the definition win. */
export function applyRestartPolicy(service: ServiceFile, policy: RestartPolicy | undefined): void {
  if (!policy) return;
  for (const s of restartSettings(policy)) {
    if (s.key === 'ConditionPathExists' || !service.has(s.section, s.key)) service.add(s.section, s.key, s.value);
  }
}
