// `podgen install` / `podgen uninstall`: put generated units where systemd
// reads them, reload once, and enable them through systemd itself (real unit
// files and [Install] symlinks, so `systemctl enable/disable` agree). Nothing
// is rewritten or reloaded when nothing changed; a unit podgen did not write
// is never touched without --force.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import type { SystemdManager, UnitFileChange } from '../manage/systemd';
import { writeUnits } from '../output/writeUnits';
import { trace } from '../trace';
import { lookup } from '../parse/lookup';
import { parseUnitText } from '../parse/parseUnitFile';
import { readIfExists } from '../resolve/readIfExists';
import { healthUnitNames } from '../runtime/healthCheck';
import { removeRecord } from '../restart/record';
import { updateDropinPath } from '../restart/update';
import { removeKeptBundle } from '../runtime/kept';
import { GENERATED_MARK, serviceUnitName as unitName } from '../resolve/unitName';
export { defaultUnitDir } from '../resolve/searchPaths';
import { generate, type GenerateRequest } from './generate';



export type InstallState = 'installed' | 'updated' | 'unchanged';

export interface InstallResult {
  readonly units: ReadonlyArray<{ readonly unit: string; readonly state: InstallState; readonly path: string }>;
  readonly reloaded: boolean;
  readonly enableChanges: readonly UnitFileChange[];
}


function refuseForeign(file: string, text: string | undefined, force: boolean): void {
  if (text !== undefined && !text.startsWith(GENERATED_MARK) && !force) {
    throw new PodgenError(`${file} exists and was not written by podgen`, {
      kind: 'usage',
      hint: 'rename the definition (or ServiceName=), or use --force to replace that unit',
    });
  }
}

export async function install(
  req: Omit<GenerateRequest, 'output'> & { readonly unitDir: string; readonly force: boolean; readonly systemd: SystemdManager },
): Promise<InstallResult> {
  trace('install: generating');
  const generated = generate({ ...req, output: undefined, withReferences: true });
  trace('install: generated');
  const plan = generated.units.map((u) => {
    const file = path.join(req.unitDir, u.plan.unitName);
    const before = readIfExists(file);
    refuseForeign(file, before, req.force);
    for (const c of u.companions) refuseForeign(path.join(req.unitDir, c.unitName), readIfExists(path.join(req.unitDir, c.unitName)), req.force);
    const stale = companionsOf(req.unitDir, u.plan.unitName).filter((c) => !u.companions.some((x) => x.unitName === c));
    const same = before === u.text && stale.length === 0 && u.companions.every((c) => readIfExists(path.join(req.unitDir, c.unitName)) === c.text);
    const state: InstallState = before === undefined ? 'installed' : same ? 'unchanged' : 'updated';
    return { unit: u.plan.unitName, state, path: file, text: u.text, companions: u.companions, stale, enable: u.plan.symlinks.length > 0 };
  });
  const changed = plan.filter((p) => p.state !== 'unchanged');
  if (changed.length > 0) writeUnits(req.unitDir, changed.flatMap((p) => [{ unitName: p.unit, text: p.text, symlinks: [] }, ...p.companions.map((c) => ({ ...c, symlinks: [] }))]));
  // A health check the definition no longer has goes with it.
  for (const p of changed) for (const c of p.stale) fs.rmSync(path.join(req.unitDir, c), { force: true });
  // A changed definition is the truth again: `podgen update --restart`'s policy goes.
  for (const p of changed) removeUpdateDropin(req.unitDir, p.unit);
  trace('install: written');
  if (changed.length > 0) await req.systemd.reload();
  trace('install: reloaded');
  const toEnable = plan.filter((p) => p.enable && !p.unit.endsWith('@.service')).map((p) => p.unit);
  const enableChanges = toEnable.length > 0 ? await req.systemd.enable(toEnable) : [];
  trace('install: enabled');
  return { units: plan.map(({ unit, state, path: p }) => ({ unit, state, path: p })), reloaded: changed.length > 0, enableChanges };
}

export interface UninstallResult {
  readonly removed: readonly string[];
  readonly missing: readonly string[];
  readonly disableChanges: readonly UnitFileChange[];
}

/** Disable and remove units podgen wrote (NAME, NAME.service or a definition path), then reload once. */
export async function uninstall(names: readonly string[], unitDir: string, force: boolean, systemd: SystemdManager, user = false): Promise<UninstallResult> {
  const units = names.map(unitName);
  const present = units.filter((u) => {
    const file = path.join(unitDir, u);
    const text = readIfExists(file);
    refuseForeign(file, text, force);
    return text !== undefined;
  });
  const missing = units.filter((u) => !present.includes(u));
  const kept = keptBundles(unitDir, present);
  const disableChanges = present.length > 0 ? await systemd.disable(present) : [];
  for (const u of present) {
    for (const c of companionsOf(unitDir, u)) fs.rmSync(path.join(unitDir, c), { force: true });
    fs.rmSync(path.join(unitDir, u), { force: true });
    removeUpdateDropin(unitDir, u);
  }
  if (present.length > 0) await systemd.reload();
  // What the restart manager remembered of a container that is gone (its record and side files).
  for (const u of present) removeRecord(u, user);
  // A stopped container of a removed unit keeps nothing ready (a running one: its cleanup does it).
  for (const k of kept) await removeKeptBundle(k.name, k.user);
  return { removed: present, missing, disableChanges };
}

/** The units podgen wrote to go with UNIT (its health check's timer and service) that are in unitDir. */
function companionsOf(unitDir: string, unit: string): string[] {
  const names = healthUnitNames(unit);
  return [names.timer, names.service].filter((n) => readIfExists(path.join(unitDir, n))?.startsWith(`${GENERATED_MARK} `) && readIfExists(path.join(unitDir, n))?.includes(`(health check of ${unit})`));
}

function removeUpdateDropin(unitDir: string, unit: string): void {
  const dropin = updateDropinPath(unitDir, unit);
  fs.rmSync(dropin, { force: true });
  try {
    fs.rmdirSync(path.dirname(dropin)); // only when nothing else is in UNIT.d
  } catch {
    // the user's own drop-ins are there, or it never existed
  }
}

/** The containers of podgen-engine units that keep their bundle between starts (cleanup --keep-bundle). */
export function keptBundles(unitDir: string, units: readonly string[]): Array<{ name: string; user: boolean }> {
  return units.flatMap((u) => keptBundle(readIfExists(path.join(unitDir, u)) ?? '', u));
}

function keptBundle(text: string, unit: string): Array<{ name: string; user: boolean }> {
  if (!text.includes(' --keep-bundle')) return [];
  const name = lookup(parseUnitText(text, unit, unit).unit, 'X-Container', 'ContainerName') ?? unit.replace(/\.service$/, '');
  return /^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(name) ? [{ name, user: / cleanup --user /.test(text) }] : [];
}
