// `podgen update --restart POLICY NAME...`, Docker's `docker update
// --restart`: the policy of installed containers changed live, without
// touching the user's definition and without restarting a running container.
// The new policy goes into a drop-in (UNIT.d/podgen-restart.conf); the hooks
// read it from their environment at their next run, after a daemon-reload.
// Pure: the command (commands/update.ts) reads, writes and reloads.

import * as path from 'node:path';
import { lookup } from '../parse/lookup';
import { parseUnitText } from '../parse/parseUnitFile';
import { escapeExecArgs } from '../render/escape';
import { type RestartPolicy } from './policy';
import { hook, managedSettings, needsGate, POLICY_VARIABLE, type Setting, staticSettings } from './unitSettings';

export const UPDATE_DROPIN = 'podgen-restart.conf';

export function updateDropinPath(unitDir: string, unit: string): string {
  return path.join(unitDir, `${unit}.d`, UPDATE_DROPIN);
}

/** The value of one Environment= variable among a unit's assignments (the last wins, as systemd reads them). */
function environmentValue(text: string, name: string): string | undefined {
  let value: string | undefined;
  for (const m of text.matchAll(/^Environment=(.*)$/gm)) {
    const assignment = (m[1] ?? '').trim().replace(/^"(.*)"$/, '$1');
    if (assignment.startsWith(`${name}=`)) value = assignment.slice(name.length + 1);
  }
  return value;
}

/** Whether an installed unit runs the restart manager's hooks (podgen-unit was built when it was generated). */
export function isManaged(unitText: string): boolean {
  return environmentValue(unitText, POLICY_VARIABLE) !== undefined;
}

/** The policy in force: `update --restart`'s drop-in, else the definition's (Docker's spelling), else a plain Restart=. */
export function effectivePolicy(unitText: string, dropinText: string | undefined): string {
  const updated = dropinText === undefined ? undefined : environmentValue(dropinText, POLICY_VARIABLE) ?? /^# restart policy: (.*)$/m.exec(dropinText)?.[1];
  if (updated !== undefined && updated !== 'systemd') return updated;
  const unit = parseUnitText(unitText, 'unit', 'unit').unit;
  const restart = lookup(unit, 'Service', 'Restart');
  return lookup(unit, 'X-Container', 'RestartPolicy') ?? (restart && restart !== 'no' ? `systemd Restart=${restart}` : 'no');
}

function sectioned(settings: readonly Setting[], extraService: readonly string[]): string {
  const lines = (section: 'Unit' | 'Service'): string[] => settings.filter((s) => s.section === section).map((s) => `${s.key}=${s.value}`);
  const unit = lines('Unit');
  const service = [...lines('Service'), ...extraService];
  return [...(unit.length ? ['[Unit]', ...unit, ''] : []), '[Service]', ...service, ''].join('\n');
}

/**
 * The drop-in for POLICY on a unit. A managed unit gets the manager's settings, and its gate
 * (ExecCondition=) comes or goes with the policy: the list is reset, the definition's own
 * conditions put back, then the gate. An unmanaged one gets systemd's static settings.
 */
export function updateDropin(policy: RestartPolicy, spelling: string, unitText: string, helper: string | undefined): string {
  const head = `# Written by podgen update --restart: the restart policy is ${spelling}.\n# podgen down and a changed definition (podgen up, install) remove it.\n# restart policy: ${spelling}\n`;
  if (!isManaged(unitText) || helper === undefined) return head + sectioned(staticSettings(policy), []);
  const gate = escapeExecArgs(hook.gate(helper));
  const own = [...unitText.matchAll(/^ExecCondition=(.*)$/gm)].map((m) => m[1] ?? '').filter((line) => line !== gate);
  // Switching to "no" leaves the start-rate limit and the delay as they were: nothing restarts anyway.
  return head + sectioned(managedSettings(policy), ['ExecCondition=', ...own.map((l) => `ExecCondition=${l}`), ...(needsGate(policy) ? [`ExecCondition=${gate}`] : [])]);
}
