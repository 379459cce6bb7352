// podgen run: docker run without a daemon. In the foreground, podgen
// prepares the container, runs runc attached to the terminal (signals passed
// on), cleans up and exits with the container's status. With -d the same
// three steps become a transient systemd unit (podgen-NAME.service), so the
// container is supervised, logged and stoppable like any podgen unit.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { journalTail } from '../manage/journal';
import { RECORD_SIDE_FILES, recordPath } from '../restart/record';
import { run, runAttached } from '../process/run';
import type { HealthConfig } from './healthConfig';
import { healthArgv, healthUnitNames } from './healthCheck';
import { containerPaths, type ContainerPaths, RUNTIME_BINARIES } from './paths';
import { createArgv, NATIVE_HELPER, pidFileOf } from './takeOver';
import { cleanup, prepare } from './prepare';
import { parseRunArgs, type RunArgs } from './runArgs';

export const RUNC = RUNTIME_BINARIES.runc;

function requireRunc(): void {
  if (!fs.existsSync(RUNC)) throw new PodgenError(`the OCI runtime ${RUNC} is not installed`, { kind: 'unavailable', hint: 'apt-get install runc' });
}

/** The docker run flags with --name NAME ensured (prepare and the unit need one), parsed. */
function withName(argv: readonly string[]): { name: string; argv: string[]; args: RunArgs } {
  const args = parseRunArgs(argv);
  if (args.name) return { name: args.name, argv: [...argv], args };
  const name = `podgen-${randomBytes(4).toString('hex')}`;
  return { name, argv: ['--name', name, ...argv], args: { ...args, name } };
}

export async function runContainer(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  requireRunc();
  const { name, argv: full, args } = withName(argv);
  if (args.detach) return runDetached(name, full, args, out);
  if (process.getuid?.() !== 0) throw new PodgenError('podgen run needs root for now', { kind: 'auth', hint: 'run it with sudo; rootless containers are not supported by the podgen engine yet' });
  if (args.health) requireHelper();
  const prepared = await prepare({ name, user: false, argv: full, cgroupsPath: `/podgen/${name}`, applyLimits: true, runtime: RUNC });
  const stopChecks = args.health ? checkInForeground(args.health, prepared.paths) : undefined;
  try {
    const layout = { runtime: RUNC, stateRoot: prepared.paths.runtimeState, bundle: prepared.paths.bundle, name };
    return await runAttached([RUNC, '--root', layout.stateRoot, 'run', '--pid-file', pidFileOf(layout), '--bundle', layout.bundle, name], { forwardSignals: true });
  } finally {
    stopChecks?.();
    await cleanup({ name, user: false, runtime: RUNC });
  }
}

function requireHelper(): void {
  if (!fs.existsSync(NATIVE_HELPER)) {
    throw new PodgenError(`health checks are run by ${NATIVE_HELPER}, which is missing`, { kind: 'unavailable', hint: "apt-get install gcc libc6-dev, then npm install in podgen's directory" });
  }
}

/** The health check's argv for a container podgen run started (no unit of its own in the foreground: "-"). */
function healthCommand(h: HealthConfig, paths: ContainerPaths, unit: string, state: string): string[] {
  return healthArgv(h, { helper: NATIVE_HELPER, unit, state, bundle: paths.bundle, runtime: RUNC, stateRoot: paths.runtimeState, name: paths.name }, false);
}

/**
 * In the foreground, podgen itself is there to run the checks: podgen-unit health every tick
 * (it knows which are due). HealthOnFailure= kill and stop both kill the container here; restart
 * needs a supervisor (podgen run -d).
 */
function checkInForeground(h: HealthConfig, paths: ContainerPaths): () => void {
  const argv = healthCommand(h, paths, '-', path.join(paths.bundle, 'health'));
  const tick = Math.min(h.intervalMs, h.startup?.intervalMs ?? h.intervalMs);
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void run(argv, { allowFailure: true }).finally(() => {
      running = false;
    });
  }, tick);
  return () => clearInterval(timer);
}

function signalNumber(sig: string): number {
  const name = /^\d+$/.test(sig) ? undefined : sig.toUpperCase().startsWith('SIG') ? sig.toUpperCase() : `SIG${sig.toUpperCase()}`;
  const n = name === undefined ? Number(sig) : (os.constants.signals as Record<string, number>)[name];
  if (n === undefined || !Number.isInteger(n)) throw new PodgenError(`--stop-signal ${sig}: unknown signal`, { kind: 'usage', hint: 'e.g. SIGTERM, SIGINT, SIGQUIT or a number' });
  return n;
}

/** -d: a transient unit running prepare / runc create + start / cleanup (the shape of a generated unit), started and waited for over D-Bus. */
async function runDetached(name: string, argv: readonly string[], args: RunArgs, out: NodeJS.WritableStream): Promise<number> {
  const { connectSystemd } = await import('../manage/systemd');
  const paths = containerPaths(name, false);
  const node = process.execPath;
  const main = path.resolve(__dirname, '..', 'cli', 'entry.js');
  // -d stays in the flags: prepare then gives the container no terminal (there is none to attach).
  const dockerArgs = [...argv];
  const unit = `podgen-${name}.service`;
  const layout = { runtime: RUNC, stateRoot: paths.runtimeState, bundle: paths.bundle, name };
  if (args.health) requireHelper();
  const systemd = await connectSystemd(false);
  try {
    const outcome = await systemd.startTransient(unit, {
      description: `podgen container ${name} (podgen run -d)`,
      pidFile: pidFileOf(layout),
      execStartPre: [node, main, 'prepare', '--name', name, '--runtime', 'runc', '--', ...dockerArgs],
      execStart: createArgv(layout),
      execStartPost: [RUNC, '--root', paths.runtimeState, 'start', name],
      execStopPost: [node, main, 'cleanup', '--name', name, '--runtime', 'runc'],
      stopTimeoutSeconds: args.stopTimeout ?? 10,
      killSignal: signalNumber(args.stopSignal ?? 'SIGTERM'),
    });
    if (outcome.result !== 'done') {
      throw new PodgenError(`${unit} did not start (${outcome.result})`, { kind: 'unavailable', hint: 'journalctl -u ' + unit, stderr: await journalTail(unit, 15, false) });
    }
    if (args.health) {
      // As a generated unit's NAME-health.timer: a transient timer bound to the container's unit.
      const names = healthUnitNames(unit);
      const tickMs = Math.min(args.health.intervalMs, args.health.startup?.intervalMs ?? args.health.intervalMs);
      try {
        await systemd.startTransientTimer(names.timer, names.service, {
          description: `health check of ${unit} (podgen)`,
          bindsTo: unit,
          tickMs,
          execStart: healthCommand(args.health, paths, unit, `${recordPath(unit, false)}${RECORD_SIDE_FILES.health}`),
        });
      } catch (e) {
        // A container asked to be checked does not run unchecked.
        await systemd.runJobs('StopUnit', [unit], 60_000);
        throw e;
      }
    }
    out.write(`${name}\n`);
    return 0;
  } finally {
    systemd.close();
  }
}
