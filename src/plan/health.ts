// Health checks for --engine podgen: the Health* keys (through the one parser,
// runtime/healthConfig.ts), and the two units that run them next to the
// container's: NAME-health.timer (bound to the container's unit: it runs while
// the container's unit does) and NAME-health.service (podgen-unit health, one
// check). Notify=healthy also runs the check inside the container's own unit
// until it passes (podgenEngine.ts). Pure.

import { lookup } from '../parse/lookup';
import { RECORD_SIDE_FILES } from '../restart/record';
import { RECORD_DIR } from '../restart/unitSettings';
import { HEALTH_OPTIONS, type HealthConfig, type HealthOption, type HealthOptions, parseHealth } from '../runtime/healthConfig';
import { healthArgv, type HealthTarget, healthUnitNames } from '../runtime/healthCheck';
import { templateParts } from '../resolve/unitName';
import type { ContainerDefinition } from '../decode/decodeContainer';
import type { PlanProblems } from './context';
import { ServiceFile } from './serviceFile';

/** Quadlet's key for each docker run health option (HealthCmd= for --health-cmd, ...). */
const HEALTH_KEYS = new Map<string, string>();
export function healthKey(option: HealthOption): string {
  let key = HEALTH_KEYS.get(option);
  if (key === undefined) {
    key = `Health${option.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase())}`;
    HEALTH_KEYS.set(option, key);
  }
  return key;
}

/** The definition's health check, or undefined; a bad value is an error at its line. */
export function healthOf(def: ContainerDefinition, problems: PlanProblems): HealthConfig | undefined {
  const options: Record<string, string> = {};
  for (const option of HEALTH_OPTIONS) {
    // Quadlet's plain lookup: one pair of surrounding double quotes goes, as for every scalar.
    const value = lookup(def.unit, 'Container', healthKey(option));
    if (value !== undefined) options[option] = value.trim();
  }
  const parsed = parseHealth(options as HealthOptions);
  if (!parsed.ok) {
    problems.error(`${healthKey(parsed.option)}=: ${parsed.message}`, healthKey(parsed.option));
    return undefined;
  }
  return parsed.config;
}

/** A unit's health state file, as its units name it: next to the restart manager's record. */
export const healthStateOf = (unit: string): string => `%S/${RECORD_DIR}/${unit}${RECORD_SIDE_FILES.health}`;

export interface CompanionUnit {
  readonly unitName: string;
  readonly service: ServiceFile;
}

/** The timer and the service that check a container's health; the container's unit wants the timer. */
export function healthUnits(h: HealthConfig, t: HealthTarget, containerUnitName: string, container: ServiceFile): CompanionUnit[] {
  const names = healthUnitNames(containerUnitName);
  const { isTemplate } = templateParts(containerUnitName);
  container.add('Unit', 'Wants', isTemplate ? names.timer.replace(/@\.timer$/, '@%i.timer') : names.timer);
  // One timer serves both checks: a run that is not due returns at once (~1 ms of podgen-unit).
  const tickMs = Math.min(h.intervalMs, h.startup?.intervalMs ?? h.intervalMs);
  const timer = new ServiceFile();
  timer.add('Unit', 'Description', `health check of ${t.unit} (podgen)`);
  timer.add('Unit', 'BindsTo', t.unit);
  timer.add('Unit', 'After', t.unit);
  timer.add('Timer', 'OnActiveSec', `${tickMs}ms`);
  timer.add('Timer', 'OnUnitInactiveSec', `${tickMs}ms`);
  timer.add('Timer', 'AccuracySec', '100ms');
  const service = new ServiceFile();
  service.add('Unit', 'Description', `health check of ${t.unit} (podgen)`);
  // A check every second is fine: systemd's start-rate limit (5 in 10 s) must not stop the checks.
  service.add('Unit', 'StartLimitIntervalSec', '0');
  service.add('Service', 'Type', 'oneshot');
  // A check every few seconds: systemd's "Starting"/"Finished" lines would drown the journal. The
  // check's own notices (healthy, unhealthy, what it did) are kept.
  service.add('Service', 'LogLevelMax', 'notice');
  service.add('Service', 'SyslogLevel', 'notice');
  service.addCommand('Service', 'ExecStart', healthArgv(h, t, false));
  return [
    { unitName: names.timer, service: timer },
    { unitName: names.service, service },
  ];
}
