// podgen run in the foreground: docker run without a daemon. podgen prepares
// the container, runs runc attached to the terminal (signals passed on),
// cleans up and exits with the container's status. (With -d the line becomes
// a definition and a unit: commands/runDetached.ts.)

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PodgenError } from '../errors';
import { run, runAttached } from '../process/run';
import type { HealthConfig } from './healthConfig';
import { healthArgv } from './healthCheck';
import { type ContainerPaths, isRootless, RUNTIME_BINARIES } from './paths';
import { NATIVE_HELPER, pidFileOf } from './takeOver';
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

export async function runContainer(argv: readonly string[]): Promise<number> {
  requireRunc();
  const { name, argv: full, args } = withName(argv);
  if (args.detach) throw new PodgenError('internal: podgen run -d is not run in the foreground', { kind: 'internal' });
  // Not root: a rootless container (rootless.ts), kept in the caller's cgroup, which a user does
  // not own: limits come from a scope around the command instead.
  const user = isRootless();
  if (user) refuseLimitsWithoutCgroup(args);
  if (args.health) requireHelper();
  const prepared = await prepare({ name, user, argv: full, cgroupsPath: user ? false : `/podgen/${name}`, applyLimits: !user, runtime: RUNC });
  const stopChecks = args.health ? checkInForeground(args.health, prepared.paths) : undefined;
  try {
    const layout = { runtime: RUNC, stateRoot: prepared.paths.runtimeState, bundle: prepared.paths.bundle, name };
    return await runAttached([RUNC, '--root', layout.stateRoot, 'run', '--pid-file', pidFileOf(layout), '--bundle', layout.bundle, name], { forwardSignals: true });
  } finally {
    stopChecks?.();
    await cleanup({ name, user, runtime: RUNC });
  }
}

/** A rootless foreground container has no cgroup of its own to limit: say how to get one. */
function refuseLimitsWithoutCgroup(args: RunArgs): void {
  const limits = [args.memory !== undefined ? '--memory' : '', args.pidsLimit !== undefined && args.pidsLimit > 0 ? '--pids-limit' : '', args.cpus !== undefined ? '--cpus' : ''].filter(Boolean);
  if (limits.length === 0) return;
  throw new PodgenError(`${limits.join(', ')}: a rootless podgen run in the foreground has no cgroup of its own to limit`, {
    kind: 'usage',
    hint: 'use podgen run -d (its unit gets the limits from your user manager), or run it in a scope: systemd-run --user --scope -p MemoryMax=512M -p TasksMax=100 -p CPUQuota=150% podgen run ...',
  });
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
