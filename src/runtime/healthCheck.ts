// How a health check is run: podgen-unit health's argument vector (native/health.c)
// and the names of the units that schedule it next to a container's. Pure, and
// shared by the planner (generated units) and podgen run (its own checks).

import { templateParts } from '../resolve/unitName';
import { type HealthConfig, testArgv } from './healthConfig';

/** The names around a container's unit: NAME-health.timer and NAME-health.service (templates keep their instance). */
export function healthUnitNames(unitName: string): { timer: string; service: string } {
  const { prefix, instance, isTemplate } = templateParts(unitName);
  const base = `${prefix}-health${isTemplate ? `@${instance}` : ''}`;
  return { timer: `${base}.timer`, service: `${base}.service` };
}

export interface HealthTarget {
  readonly helper: string;
  /** The container's unit, as the companions name it (web.service, or web@%i.service for a template); "-": none (podgen run). */
  readonly unit: string;
  /** Where the checks keep their state (native/health.c; src/restart/health.ts reads it). */
  readonly state: string;
  /** The container's bundle: its init's PID file says whether and since when it runs. */
  readonly bundle: string;
  readonly runtime: string;
  readonly stateRoot: string;
  /** The container's name, literal (no %N: that means the companion's own name there). */
  readonly name: string;
}


/** podgen-unit health's arguments: the same for the timer's checks and Notify=healthy's. */
export function healthArgv(h: HealthConfig, t: HealthTarget, untilHealthy: boolean): string[] {
  const startup = h.startup
    ? [
        '--startup-interval',
        String(h.startup.intervalMs),
        '--startup-timeout',
        String(h.startup.timeoutMs),
        '--startup-retries',
        String(h.startup.retries),
        '--startup-success',
        String(h.startup.successes),
        '--startup-cmd',
        String(testArgv(h.startup.test).length),
        ...testArgv(h.startup.test),
      ]
    : [];
  return [
    t.helper,
    'health',
    ...(untilHealthy ? ['--until-healthy'] : []),
    t.unit,
    t.state,
    t.bundle,
    t.runtime,
    t.stateRoot,
    t.name,
    '--interval',
    String(h.intervalMs),
    '--timeout',
    String(h.timeoutMs),
    '--retries',
    String(h.retries),
    '--start-period',
    String(h.startPeriodMs),
    '--on-failure',
    h.onFailure,
    '--log-count',
    String(h.maxLogCount),
    '--log-size',
    String(h.maxLogSize),
    ...startup,
    '--',
    ...testArgv(h.test),
  ];
}

