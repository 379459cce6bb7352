// podgen up / down / start / stop / restart / status / ps: what a sysadmin
// and a provisioning script do every day, over D-Bus. Jobs are awaited
// (JobRemoved), failures reported with systemd's own view of the unit and
// its last journal lines.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { journalTail, showJournal } from '../manage/journal';
import type { JobOutcome, JobVerb, SystemdManager, UnitStatus } from '../manage/systemd';
import { lookup } from '../parse/lookup';
import { parseUnitText } from '../parse/parseUnitFile';
import { lineDiff } from '../render/diff';
import { generate, type GenerateRequest } from './generate';
import { readIfExists } from '../resolve/readIfExists';
import { trace } from '../trace';
import { install, type InstallResult, keptBundles, uninstall } from './install';
import { readHealth } from '../restart/health';
import { readRecord, RECORD_SIDE_FILES, recordPath } from '../restart/record';
import { containerState } from '../restart/state';
import { effectivePolicy, isManaged, updateDropinPath } from '../restart/update';
import { dropReadyMarkers } from '../runtime/kept';
import { containerPaths } from '../runtime/paths';
import { GENERATED_MARK, serviceUnitName as unitName } from '../resolve/unitName';
import type { KnownContainer } from './containers';

export { unitName };

export const JOB_TIMEOUT_MS = 5 * 60_000;

export interface UnitReport {
  readonly unit: string;
  readonly ok: boolean;
  readonly job: string | undefined;
  readonly status: UnitStatus | undefined;
  /** The container as Docker users read it: "running", "restarting (in 3.2s)", "gave up after 3 restarts", ... */
  readonly container: string | undefined;
  /** Docker's RestartCount (the restart manager's record), when there is one. */
  readonly restartCount: number | undefined;
  /** Last journal lines of a unit that failed. */
  readonly journal: string | undefined;
}


/** `podgen logs`: the unit's journal on our terminal (follow, count, since), as plain lines or with timestamps (-t). */
export async function logs(unit: string, user: boolean, opts: { follow: boolean; lines: number | undefined; since: string | undefined; timestamps: boolean }): Promise<number> {
  const extra = [...(opts.follow ? ['-f'] : []), ...(opts.lines !== undefined ? ['-n', String(opts.lines)] : []), ...(opts.since ? ['--since', opts.since] : []), '-o', opts.timestamps ? 'short-iso' : 'cat'];
  return showJournal(unit, user, extra);
}

/** A started container must stay up this long to count as up (one that exits 1 at once is a failure). */
export const SETTLE_MS = 1000;

/** Watch freshly started units until they have been active for SETTLE_MS, or have gone down. */
async function settle(systemd: SystemdManager, units: readonly string[]): Promise<UnitStatus[]> {
  const deadline = Date.now() + SETTLE_MS + 2000;
  let statuses = await systemd.status(units);
  for (;;) {
    // Sleep until the youngest running container is SETTLE_MS old, then look again (one that
    // restarted meanwhile is young again); a status round for 100 units costs ~100 ms.
    const youngest = Math.max(0, ...statuses.filter((s) => s.activeState === 'active').map((s) => s.mainStartTimestamp));
    const waitMs = youngest > 0 ? SETTLE_MS - (Date.now() * 1000 - youngest) / 1000 : 0;
    if (waitMs <= 0 || Date.now() > deadline) return statuses;
    await new Promise((r) => setTimeout(r, Math.min(waitMs + 10, deadline - Date.now())));
    statuses = await systemd.status(units);
  }
}

/** The container's Docker-like summary and restart count, from systemd's view and the record. */
function containerOf(unit: string, status: UnitStatus | undefined, user: boolean): { container: string | undefined; restartCount: number | undefined } {
  if (!status) return { container: undefined, restartCount: undefined };
  const record = readRecord(unit, user);
  return { container: containerState(status, record, Date.now(), readHealth(unit, user, record)).summary, restartCount: record?.restartCount };
}

/**
 * How each job went, with the unit's state. A start counts once the container has stayed up
 * SETTLE_MS, unless started: a started job is enough (docker run -d returns once the container
 * runs, whatever it does next).
 */
async function report(systemd: SystemdManager, outcomes: readonly JobOutcome[], user: boolean, verb: JobVerb = 'StartUnit', started = false): Promise<UnitReport[]> {
  const units = outcomes.map((o) => o.unit);
  const statuses = verb === 'StopUnit' || started ? await systemd.status(units) : await settle(systemd, units);
  return Promise.all(
    outcomes.map(async (o, i) => {
      const s = statuses[i];
      const ok = o.result === 'done' && (verb === 'StopUnit' || started || s?.activeState === 'active' || s?.activeState === 'reloading');
      const job = o.result === 'done' && !ok ? 'failed' : o.result;
      return { unit: o.unit, ok, job, status: s, ...containerOf(o.unit, s, user), journal: ok ? undefined : await journalTail(o.unit, 15, user) };
    }),
  );
}

/** Told how many jobs `up` queues; returns what to call as each finishes (a progress display). */
export type JobProgress = (jobs: number) => ((outcome: JobOutcome) => void) | undefined;

export interface UpResult {
  readonly install: InstallResult;
  readonly units: readonly UnitReport[];
}

/** Generate, install (one reload), enable, then start what is new or not running and restart what changed. */
/** Makes sure an image is in podgen's store (pulling it, with progress); rejects with the reason. */
export type EnsureImage = (image: string) => Promise<void>;

/** Images podgen-engine units will need at start (Pull=never ones are the unit's own business). */
function imagesNeeded(unitDir: string, units: readonly string[]): Map<string, string[]> {
  const byImage = new Map<string, string[]>();
  for (const u of units) {
    const text = readIfExists(path.join(unitDir, u));
    if (text === undefined || !/\(engine podgen\)/.test(text)) continue;
    const parsed = parseUnitText(text, u, u).unit;
    const image = lookup(parsed, 'X-Container', 'Image');
    if (!image || lookup(parsed, 'X-Container', 'Pull') === 'never' || /\.(image|build)$/.test(image)) continue;
    byImage.set(image, [...(byImage.get(image) ?? []), u]);
  }
  return byImage;
}

export async function up(
  req: Omit<GenerateRequest, 'output'> & {
    unitDir: string;
    force: boolean;
    systemd: SystemdManager;
    user: boolean;
    onJobs?: JobProgress;
    ensureImage?: EnsureImage;
    jobTimeoutMs?: number;
    /** A done start job is success (run -d), rather than a container that stays up SETTLE_MS. */
    started?: boolean;
  },
): Promise<UpResult> {
  const installed = await install(req);
  const units = installed.units.filter((u) => !u.unit.endsWith('@.service'));
  const states = await req.systemd.activeStates(units.map((u) => u.unit));
  let restart = units.filter((u) => u.state === 'updated').map((u) => u.unit);
  let start = units.filter((u, i) => u.state !== 'updated' && states[i] !== 'active').map((u) => u.unit);
  // Pull what the containers need here, with progress, rather than inside the unit's start (prepare), where a
  // big image could run into the unit's start timeout. A unit whose image cannot be had is not started.
  const pullFailures: UnitReport[] = [];
  if (req.ensureImage) {
    for (const [image, needing] of imagesNeeded(req.unitDir, [...start, ...restart])) {
      try {
        await req.ensureImage(image);
      } catch (e) {
        for (const u of needing) pullFailures.push({ unit: u, ok: false, job: 'pull failed', status: undefined, container: undefined, restartCount: undefined, journal: `podgen: ${(e as Error).message}` });
      }
    }
    const failed = new Set(pullFailures.map((f) => f.unit));
    start = start.filter((u) => !failed.has(u));
    restart = restart.filter((u) => !failed.has(u));
  }
  // Reset only what failed (Docker resets a spent on-failure:N budget on a manual start).
  for (const u of start.filter((x) => states[units.findIndex((y) => y.unit === x)] === 'failed')) await req.systemd.resetFailed(u);
  trace('up: images ready');
  const onFinished = req.onJobs?.(start.length + restart.length);
  const outcomes = [
    ...(start.length ? await req.systemd.runJobs('StartUnit', start, req.jobTimeoutMs ?? JOB_TIMEOUT_MS, onFinished) : []),
    ...(restart.length ? await req.systemd.runJobs('RestartUnit', restart, req.jobTimeoutMs ?? JOB_TIMEOUT_MS, onFinished) : []),
  ];
  trace('up: jobs done');
  const reports = await report(req.systemd, outcomes, req.user, 'StartUnit', req.started === true);
  trace('up: settled');
  const touched = new Set([...start, ...restart, ...pullFailures.map((f) => f.unit)]);
  const already = units.filter((u) => !touched.has(u.unit));
  const quiet = (await req.systemd.status(already.map((u) => u.unit))).map((s) => ({ unit: s.unit, ok: s.activeState === 'active', job: undefined, status: s, ...containerOf(s.unit, s, req.user), journal: undefined }));
  return { install: installed, units: [...pullFailures, ...reports, ...quiet] };
}

/** Stop, disable and remove; images and volumes stay. */
export async function down(names: readonly string[], unitDir: string, force: boolean, systemd: SystemdManager, user: boolean, timeoutMs = JOB_TIMEOUT_MS): Promise<UnitReport[]> {
  const units = names.map(unitName).filter((u) => fs.existsSync(path.join(unitDir, u)));
  // Their stop's cleanup would mount the next start's root again: it removes everything instead.
  for (const k of keptBundles(unitDir, units)) dropReadyMarkers(containerPaths(k.name, k.user));
  const outcomes = units.length ? await systemd.runJobs('StopUnit', units, timeoutMs) : [];
  const reports = await report(systemd, outcomes, user, 'StopUnit');
  await uninstall(names, unitDir, force, systemd, user);
  return reports;
}

export interface JobOptions {
  readonly timeoutMs?: number;
  /** stop: the container's grace period for this stop, in seconds (docker stop -t). */
  readonly stopGraceSeconds?: number;
}

/**
 * start / stop / restart. A start by hand resets a spent on-failure:N budget and the back-off (the
 * restart manager's start sees no pending automatic restart, as Docker's manual start resets its
 * restart manager); a stop by hand is recorded by the unit's own ExecStop= (so also for
 * systemctl stop), which also applies -t: the grace period goes where it reads it.
 */
export async function jobs(verb: JobVerb, names: readonly string[], systemd: SystemdManager, user: boolean, unitDirs: readonly string[], opts: JobOptions = {}): Promise<UnitReport[]> {
  const units = names.map(unitName);
  if (verb !== 'StopUnit') {
    // Units written without the restart manager use systemd's start-rate limit for on-failure:N.
    for (const u of units) await systemd.resetFailed(u);
  }
  if (verb !== 'StartUnit' && opts.stopGraceSeconds !== undefined) {
    for (const u of units) {
      const text = unitDirs.map((d) => readIfExists(path.join(d, u))).find((t) => t !== undefined);
      if (text === undefined || !isManaged(text)) {
        throw new PodgenError(`${u}: -t needs the restart manager's stop (podgen-unit), which this unit was generated without`, {
          kind: 'usage',
          hint: 'install podgen with a C compiler (npm install), run podgen up again, or leave out -t (the unit\'s StopTimeout= applies)',
        });
      }
      const file = `${recordPath(u, user)}${RECORD_SIDE_FILES.stopTimeout}`;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, `${opts.stopGraceSeconds}\n`);
    }
  }
  return report(systemd, await systemd.runJobs(verb, units, opts.timeoutMs ?? JOB_TIMEOUT_MS), user, verb);
}

/** Exit non-zero (after reporting everything) when any unit failed. */
export function failureOf(reports: readonly UnitReport[]): PodgenError | undefined {
  const failed = reports.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  return new PodgenError(`${failed.map((f) => f.unit).join(', ')} did not come up`, {
    kind: 'unavailable',
    hint: 'see the journal lines above; podgen status NAME shows the current state',
  });
}

export interface DryRunUnit {
  readonly unit: string;
  readonly state: 'new' | 'changed' | 'unchanged';
  readonly diff: readonly string[];
  readonly job: 'start' | 'restart' | undefined;
}

/** What `up` would do, changing nothing: unit file diffs and the jobs it would queue. */
export async function planUp(req: Omit<GenerateRequest, 'output'> & { unitDir: string; systemd: SystemdManager }): Promise<DryRunUnit[]> {
  const generated = generate({ ...req, output: undefined, withReferences: true });
  const units = generated.units.map((u) => {
    const before = readIfExists(path.join(req.unitDir, u.plan.unitName));
    const state: DryRunUnit['state'] = before === undefined ? 'new' : before === u.text ? 'unchanged' : 'changed';
    return { unit: u.plan.unitName, state, diff: state === 'unchanged' ? [] : lineDiff(before ?? '', u.text) };
  });
  const statuses = await req.systemd.status(units.map((u) => u.unit));
  return units.map((u, i) => ({
    ...u,
    job: u.unit.endsWith('@.service') ? undefined : u.state === 'changed' ? 'restart' : statuses[i]?.activeState === 'active' ? undefined : 'start',
  }));
}

const engineOf = (text: string): string | undefined => /\(engine (\w+)\)/.exec(text)?.[1];
const containerNameOf = (unit: import('../parse/parseUnitFile').UnitFile): string | undefined => lookup(unit, 'X-Container', 'ContainerName');

/** Everything podgen knows about one unit (a container's: its name, origin, ID): where it came from, where it lives, what systemd says. */
export async function inspectUnit(name: string, unitDir: string, systemd: SystemdManager, user = false, container?: KnownContainer): Promise<Record<string, unknown>> {
  const unit = unitName(name);
  const file = path.join(unitDir, unit);
  const text = readIfExists(file);
  if (text === undefined || !text.startsWith(GENERATED_MARK)) {
    throw new PodgenError(`${unit} is not a unit podgen installed in ${unitDir}`, { kind: 'not-found', hint: 'podgen ps -a lists the units podgen manages' });
  }
  const parsed = parseUnitText(text, file, unit).unit;
  const [status] = await systemd.status([unit]);
  const fragmentPath = await systemd.fragmentPath(unit);
  const record = readRecord(unit, user);
  return {
    ...(container ? { Name: container.name, Id: container.id, Origin: container.origin, Created: new Date(container.createdMs).toISOString(), ...(container.command ? { Command: container.command } : {}) } : {}),
    unit,
    State: status ? containerState(status, record, Date.now(), readHealth(unit, user, record)).state : undefined,
    restartPolicy: effectivePolicy(text, readIfExists(updateDropinPath(unitDir, unit))),
    restartManager: isManaged(text) ? { record: recordPath(unit, user), ...record } : undefined,
    unitFile: file,
    definition: lookup(parsed, 'Unit', 'SourcePath'),
    dropins: [...text.matchAll(/^# {3}drop-in: (.*)$/gm)].map((m) => m[1]),
    engine: engineOf(text),
    container: Object.fromEntries((parsed.sections.find((x) => x.name === 'X-Container')?.entries ?? []).map((e) => [e.key, e.value])),
    systemd: { ...status, fragmentPath },
    runtime: engineOf(text) === 'podgen' ? await (await import('../runtime/inspect')).runtimeInfo(containerNameOf(parsed) ?? unit.replace(/\.service$/, ''), user) : undefined,
  };
}
