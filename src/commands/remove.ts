// `podgen rm`: a container podgen run -d started goes with its unit, its
// definition, the restart manager's record and (-v) its anonymous volumes; a
// running one only with -f (stopped first). A definition's container belongs to
// its definition: rm says to use `podgen down`, and rm -f does what down does
// (stop, disable, remove the unit; the definition file stays, so `podgen up`
// brings it back), because a removed unit whose definition still installs it
// would otherwise come back at the next up or boot without the user knowing why.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { defaultStoreRoot } from '../image/store';
import type { SystemdManager } from '../manage/systemd';
import { RUNNING_STATES } from '../manage/unitStatus';
import { lookup } from '../parse/lookup';
import { readIfExists } from '../resolve/readIfExists';
import { generatorOutputDir, runDefinitionDir } from '../resolve/searchPaths';
import { removeRecord } from '../restart/record';
import { cleanup } from '../runtime/prepare';
import { removeVolume, volumeUsers } from '../runtime/volumeStore';
import { containerOfUnit, type KnownContainer, RUN_SECTION } from './containers';
import { uninstall } from './install';
import { down, JOB_TIMEOUT_MS, jobs } from './lifecycle';
import { isManaged } from '../restart/update';

export interface RemoveOptions {
  /** Stop a running container first (docker rm -f); for a definition's container: down. */
  readonly force: boolean;
  /** Also the container's anonymous volumes (docker rm -v). */
  readonly volumes: boolean;
  readonly user: boolean;
}

/** The definition run -d wrote, if it is where run -d writes them (never a file of the user's). */
function ownDefinition(c: KnownContainer, user: boolean): string | undefined {
  const def = c.definition;
  if (!def) return undefined;
  return [runDefinitionDir(user, false), runDefinitionDir(user, true)].includes(path.dirname(def)) ? def : undefined;
}

function anonymousVolumes(c: KnownContainer): string[] {
  return (lookup(c.parsed, RUN_SECTION, 'AnonymousVolumes') ?? '').split(/\s+/).filter(Boolean);
}

async function removeVolumes(names: readonly string[], user: boolean): Promise<void> {
  const store = defaultStoreRoot(user);
  for (const v of names) if (volumeUsers(store, v).length === 0) await removeVolume(store, v).catch(() => undefined);
}

/** Remove containers; returns their names. Every one is checked before any is removed. */
export async function removeContainers(targets: readonly KnownContainer[], opts: RemoveOptions, systemd: SystemdManager): Promise<string[]> {
  const statuses = await systemd.status(targets.map((c) => c.unit));
  targets.forEach((c, i) => {
    if (path.dirname(c.unitFile) === generatorOutputDir(opts.user)) {
      throw new PodgenError(`${c.name} is made at every daemon-reload by podgen's generator from ${c.definition ?? 'its definition'}`, {
        kind: 'usage',
        hint: `move or remove that definition, then systemctl${opts.user ? ' --user' : ''} daemon-reload (podgen stop ${c.name} stops it until then)`,
      });
    }
    if (c.origin !== 'run' && !opts.force) {
      throw new PodgenError(`${c.name} is the container of the definition ${c.definition ?? c.unit}; podgen rm removes only containers podgen run -d started`, {
        kind: 'usage',
        hint: `podgen down ${c.unit.replace(/\.service$/, '')} stops it and removes its unit (the definition stays; podgen up brings it back); podgen rm -f does the same`,
      });
    }
    if (c.origin === 'run' && !opts.force && RUNNING_STATES.has(statuses[i]?.activeState ?? '')) {
      throw new PodgenError(`container ${c.name} is running`, { kind: 'usage', hint: `stop it first (podgen stop ${c.name}), or remove it running with podgen rm -f` });
    }
  });
  const removed: string[] = [];
  for (const c of targets) {
    const unitDir = path.dirname(c.unitFile);
    if (c.origin !== 'run') {
      await down([c.unit], unitDir, false, systemd, opts.user, JOB_TIMEOUT_MS);
    } else {
      // docker rm -f kills at once: the restart manager's stop with no grace (SIGKILL right after the stop signal).
      if (isManaged(c.text)) await jobs('StopUnit', [c.unit], systemd, opts.user, [unitDir], { stopGraceSeconds: 0 });
      else await systemd.runJobs('StopUnit', [c.unit], JOB_TIMEOUT_MS);
      await uninstall([c.unit], unitDir, false, systemd, opts.user);
      // What a stop's cleanup would have left if it never ran (a crash, a kill of the unit's processes).
      await cleanup({ name: c.name, user: opts.user, runtime: undefined });
      const def = ownDefinition(c, opts.user);
      if (def) fs.rmSync(def, { force: true });
      if (opts.volumes) await removeVolumes(anonymousVolumes(c), opts.user);
    }
    removed.push(c.name);
  }
  return removed;
}

/**
 * A --rm container's own ExecStopPost: it is gone once stopped. Its unit file and definition
 * (under /run), the restart manager's record and its anonymous volumes go; no daemon-reload from
 * inside the stopping unit (systemd forgets the unit once it is inactive, or at the next reload).
 */
export async function removeStoppedUnit(name: string, unitDirs: readonly string[], user: boolean): Promise<void> {
  const unit = `${name}.service`;
  for (const dir of unitDirs) {
    const c = containerOfUnit(dir, unit, readIfExists(path.join(dir, unit)));
    if (!c || c.origin !== 'run') continue;
    fs.rmSync(c.unitFile, { force: true });
    const def = ownDefinition(c, user);
    if (def) fs.rmSync(def, { force: true });
    removeRecord(unit, user);
    // The unit's own cleanup may come after this line: done here first (it is safe twice), so the volumes are free.
    await cleanup({ name: c.name, user, runtime: undefined });
    await removeVolumes(anonymousVolumes(c), user);
  }
}
