// `podgen update --restart POLICY NAME...`: the policy of installed containers
// changed live, as `docker update --restart` does. Every name is checked
// before anything is written; then one drop-in per unit, one daemon-reload.
// A running container is not restarted: its hooks read the new policy at
// their next run. src/restart/update.ts has the drop-in itself.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import type { SystemdManager } from '../manage/systemd';
import { writeUnits } from '../output/writeUnits';
import { lookupAllStrv } from '../parse/lookup';
import { parseUnitText } from '../parse/parseUnitFile';
import { parseRestartPolicy } from '../restart/policy';
import { restarts } from '../restart/unitSettings';
import { effectivePolicy, updateDropin, updateDropinPath } from '../restart/update';
import { readIfExists } from '../resolve/readIfExists';
import { GENERATED_MARK, serviceUnitName } from '../resolve/unitName';

export interface PolicyChange {
  readonly unit: string;
  readonly before: string;
  readonly after: string;
  /** Made wanted by this target, so that it comes back at boot. */
  readonly enabledBy: string | undefined;
}

export async function updateRestart(req: { policy: string; names: readonly string[]; unitDir: string; systemd: SystemdManager; user: boolean; helper: string | undefined }): Promise<PolicyChange[]> {
  const parsed = parseRestartPolicy(req.policy);
  if (!parsed.ok) throw new PodgenError(`--restart ${req.policy}: ${parsed.message}`, { kind: 'usage', hint: 'e.g. podgen update --restart unless-stopped web' });
  const units = req.names.map(serviceUnitName);
  const texts = units.map((u) => readIfExists(path.join(req.unitDir, u)));
  const unknown = units.filter((_, i) => !texts[i]?.startsWith(GENERATED_MARK));
  if (unknown.length > 0) {
    throw new PodgenError(`${unknown.join(', ')}: not ${unknown.length === 1 ? 'a container' : 'containers'} podgen installed in ${req.unitDir}; nothing was changed`, {
      kind: 'not-found',
      hint: 'podgen ps -a lists the containers podgen manages; podgen up NAME installs one',
    });
  }
  const target = req.user ? 'default.target' : 'multi-user.target';
  const changes = units.map((unit, i) => {
    const text = texts[i] as string;
    const dropin = updateDropinPath(req.unitDir, unit);
    const before = effectivePolicy(text, readIfExists(dropin));
    fs.mkdirSync(path.dirname(dropin), { recursive: true });
    writeUnits(path.dirname(dropin), [{ unitName: path.basename(dropin), text: updateDropin(parsed.policy, req.policy, text, req.helper), symlinks: [] }]);
    const installed = ['WantedBy', 'RequiredBy', 'UpheldBy'].some((k) => lookupAllStrv(parseUnitText(text, unit, unit).unit, 'Install', k).length > 0);
    return { unit, before, after: req.policy, needsBoot: restarts(parsed.policy) && !installed };
  });
  await req.systemd.reload();
  // Docker's restarting policies bring the container back when the daemon (here: the machine) starts.
  const boot = changes.filter((c) => c.needsBoot).map((c) => c.unit);
  const states = await Promise.all(boot.map((u) => req.systemd.unitFileState(u)));
  const enable = boot.filter((_, i) => states[i] !== 'enabled');
  if (enable.length > 0) await req.systemd.addWants(target, enable);
  return changes.map(({ unit, before, after }) => ({ unit, before, after, enabledBy: enable.includes(unit) ? target : undefined }));
}
