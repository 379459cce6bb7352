// Rootless limits work only where the user manager has the controller delegated
// (user@UID.service's Delegate=): systemd then applies MemoryMax= and friends to a
// user unit, and silently does not otherwise. podgen says so when it installs one.

import * as fs from 'node:fs';
import { readIfExists } from '../resolve/readIfExists';

/** The [Service] settings that need each cgroup controller. */
const NEEDS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^(MemoryMax|MemoryHigh|MemoryLow|MemoryMin|MemorySwapMax)=/, 'memory'],
  [/^(CPUQuota|CPUWeight|StartupCPUWeight|AllowedCPUs)=/, 'cpu'],
  [/^TasksMax=/, 'pids'],
  [/^(IOWeight|StartupIOWeight|IOReadBandwidthMax|IOWriteBandwidthMax|IOReadIOPSMax|IOWriteIOPSMax|IODeviceWeight)=/, 'io'],
];

/** Each controller a unit's text needs, with the first setting that needs it. */
export function neededControllers(unitText: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of unitText.split('\n')) {
    const line = raw.trim();
    for (const [re, controller] of NEEDS) {
      if (re.test(line) && !out.has(controller)) out.set(controller, line.slice(0, line.indexOf('=')));
    }
  }
  return out;
}

/** The cgroup of uid's user manager (user@UID.service), whose controllers its units may use. */
export const userManagerCgroup = (uid: number): string => `/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service`;

/** The controllers the user manager of uid may hand on (undefined: no cgroup v2, or no user manager). */
export function delegatedControllers(uid: number): string[] | undefined {
  const text = readIfExists(`${userManagerCgroup(uid)}/cgroup.controllers`);
  return text === undefined ? undefined : text.trim().split(/\s+/).filter(Boolean);
}

/** One warning per unit and missing controller, naming the setting and the fix. */
export function missingControllerWarnings(units: ReadonlyArray<{ readonly unit: string; readonly text: string }>, delegated: readonly string[]): string[] {
  const out: string[] = [];
  for (const u of units) {
    for (const [controller, setting] of neededControllers(u.text)) {
      if (!delegated.includes(controller)) {
        out.push(`${u.unit} sets ${setting}= but the ${controller} controller is not delegated to your user manager: systemd will not apply it\n  hint: as root, a drop-in /etc/systemd/system/user@.service.d/delegate.conf with [Service] Delegate=cpu memory pids io, then systemctl daemon-reload (podgen info lists what is delegated)`);
      }
    }
  }
  return out;
}

/** Installed unit files' texts (a unit that cannot be read has none, and so no warning). */
export function readUnitTexts(unitFiles: ReadonlyArray<{ readonly unit: string; readonly path: string }>): Array<{ unit: string; text: string }> {
  return unitFiles.flatMap((u) => {
    try {
      return [{ unit: u.unit, text: fs.readFileSync(u.path, 'utf8') }];
    } catch {
      return [];
    }
  });
}

/** The warnings for installed --user units, given their texts. */
export function controllerWarningsFor(units: ReadonlyArray<{ readonly unit: string; readonly text: string }>, uid: number): string[] {
  const delegated = delegatedControllers(uid);
  return delegated === undefined ? [] : missingControllerWarnings(units, delegated);
}
