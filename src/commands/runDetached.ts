// `podgen run -d`: the docker run line becomes a definition (the import of
// `podgen import run`), installed and started as every definition's unit is, so
// the container is the same kind of thing whatever started it: listed by ps,
// logged, stopped, restarted by the same restart manager (--restart), back
// after a reboot when its policy says so, and gone only with `podgen rm`.
// With --rm the definition and unit live under /run and remove themselves
// when the container stops.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { writeAtomic } from '../files';
import type { SystemdManager } from '../manage/systemd';
import type { PlanContext } from '../plan/context';
import { definitionWord } from '../render/escape';
import { defaultSearchEnv, defaultUnitDir, runDefinitionDir, runtimeUnitDir } from '../resolve/searchPaths';
import { knownContainers } from './containers';
import { importRunLine } from './importRun';
import { leadingFlags } from '../import/importRun';
import { type EnsureImage, failureOf, up, type UnitReport } from './lifecycle';
import { uninstall } from './install';

export interface RunDetachedRequest {
  /** docker run flags, IMAGE, COMMAND (as given to podgen run). */
  readonly argv: readonly string[];
  readonly systemd: SystemdManager;
  readonly ctx: PlanContext;
  readonly ensureImage: EnsureImage;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** A user manager's container (rootless: whoever is not root runs their own). */
  readonly user: boolean;
}

export interface RunDetachedResult {
  readonly id: string;
  readonly name: string;
  readonly unit: string;
  readonly definition: string;
  /** The unit file written. */
  readonly unitPath: string;
  readonly report: UnitReport | undefined;
}

/** Docker's answer to a name in use, with what to do. */
async function refuseNameInUse(name: string, systemd: SystemdManager, user: boolean): Promise<void> {
  const unit = `${name}.service`;
  const taken = knownContainers(user).find((c) => c.name === name || c.unit === unit);
  if (taken) {
    const how = taken.origin === 'run' ? 'podgen rm' : 'podgen down';
    throw new PodgenError(`the container name "${name}" is already in use by ${taken.origin === 'run' ? 'a podgen run -d container' : `the container of ${taken.definition ?? taken.unit}`} (${taken.unit})`, {
      kind: 'usage',
      hint: `remove it first (${how} ${name}), or choose another --name`,
    });
  }
  const [status] = await systemd.status([unit]);
  if (status && status.loadState !== 'not-found') {
    throw new PodgenError(`${unit} is already a unit on this system, which podgen did not write`, { kind: 'usage', hint: 'choose another --name' });
  }
}

/** The [Service] line with which a --rm container's unit removes it once stopped. */
function removeOnStop(ctx: PlanContext, name: string, user: boolean): ReadonlyArray<readonly [string, string]> {
  return [['ExecStopPost', `-${[...ctx.podgenCommand, 'rm', ...(user ? ['--user'] : []), '--stopped-unit', name].map(definitionWord).join(' ')}`]];
}

export async function runDetached(req: RunDetachedRequest): Promise<RunDetachedResult> {
  const id = randomBytes(32).toString('hex');
  const given = leadingFlags(req.argv).find(([n]) => n === '--name')?.[1];
  const name = given ?? `podgen-${id.slice(0, 12)}`;
  const argv = given !== undefined ? [...req.argv] : ['--name', name, ...req.argv];
  const input = ['podgen', 'run', ...argv];
  const base = { input, engine: 'podgen' as const, ctx: req.ctx, cwd: req.cwd, env: req.env, anonymousVolumePrefix: `${name}-anon` };
  // A first reading checks the line and tells --rm and the anonymous volumes; the definition is then written with what goes with them.
  const first = importRunLine(base);
  const remove = first.imported.remove;
  await refuseNameInUse(name, req.systemd, req.user);
  const created = new Date().toISOString();
  const result = importRunLine(base, {
      unit: [['Description', `${name}: podgen run -d ${first.imported.image.replace(/%/g, '%%')}`]],
      ...(remove ? { service: removeOnStop(req.ctx, name, req.user) } : {}),
      xPodgen: [
        ['Origin', 'run'],
        ['ID', id],
        ['Created', created],
        ['Command', `podgen run ${req.argv.join(' ')}`.replace(/[\r\n]+/g, ' ')],
        ...(first.imported.anonymousVolumes.length ? [['AnonymousVolumes', first.imported.anonymousVolumes.join(' ')] as const] : []),
      ],
  });
  const dir = runDefinitionDir(req.user, remove, req.env);
  fs.mkdirSync(dir, { recursive: true });
  const definition = path.join(dir, result.fileName);
  writeAtomic(definition, result.text);
  const unitDir = (remove ? runtimeUnitDir(req.user, req.env) : undefined) ?? defaultUnitDir(req.user, req.env);
  const unit = `${name}.service`;
  try {
    const r = await up({ names: [definition], engine: 'podgen', search: defaultSearchEnv(req.user), ctx: req.ctx, unitDir, force: false, systemd: req.systemd, user: req.user, ensureImage: req.ensureImage, started: true });
    const report = r.units.find((u) => u.unit === unit);
    const failure = failureOf(r.units);
    if (failure && remove) await forget(definition, unit, unitDir, req.systemd, req.user);
    if (failure) throw failure;
    return { id, name, unit, definition, unitPath: path.join(unitDir, unit), report };
  } catch (e) {
    // Nothing half-made stays behind when the unit could not even be installed.
    if (!fs.existsSync(path.join(unitDir, unit))) fs.rmSync(definition, { force: true });
    throw e;
  }
}

async function forget(definition: string, unit: string, unitDir: string, systemd: SystemdManager, user: boolean): Promise<void> {
  await uninstall([unit], unitDir, false, systemd, user);
  fs.rmSync(definition, { force: true });
}
