// The runtime commands take `docker run` flags verbatim, which yargs would
// try to parse as its own: they are dispatched here, before yargs. prepare
// and cleanup are what podgen-engine units call; run/exec/top/stats/inspect
// are for people.

import { PodgenError } from '../errors';
import { flag, flagValue } from '../parse/argv';
import { RUNTIME_BINARIES } from '../runtime/paths';

export const RUNTIME_COMMANDS = ['prepare', 'cleanup', 'run', 'exec', 'top', 'stats'] as const;
export type RuntimeCommand = (typeof RUNTIME_COMMANDS)[number];

const HELP: Readonly<Record<RuntimeCommand, string>> = {
  prepare: `podgen prepare [--user] --name NAME [--runtime runc|crun] [--fast-key KEY] [--record FILE] [--then-exec-json ARGV] [--then create|start] -- [docker run flags] IMAGE [COMMAND...]

Prepare a container for the OCI runtime: the image (pulled when missing), a
fresh overlay rootfs, volumes, /etc/hosts, resolv.conf, the network, and the
bundle's config.json. With --then, hand the bundle to the runtime and exit
with its status: create runs runc create; start runs podgen-unit start, which
creates the container, makes it the systemd unit's main process and lets it
run (--record: the restart manager's record, marked running; --then-exec-json:
what podgen-unit execs once the container runs, e.g. Notify=healthy's check). Units generated
with --engine podgen run it first thing in their start; you rarely need it by
hand.`,
  cleanup: `podgen cleanup [--user] --name NAME [--runtime runc|crun] [--keep-bundle]

Undo podgen prepare and the runtime's state (runc delete -f, network
teardown, unmount). Safe to run twice, after crashes and reboots; units run it
as ExecStopPost.`,
  run: `podgen run [docker run flags] IMAGE [COMMAND [ARG...]]

Run a container in the foreground through runc, with no daemon: podgen
prepares it, runc runs it as podgen's child, and podgen exits with the
container's status.

With -d the command becomes a definition (as podgen import run writes it),
installed and started as the unit NAME.service; podgen prints the
container's ID once it is up. It is then a container like any other: podgen
ps, logs, stop, start, restart, kill, wait, port, inspect, exec, top, stats
and rm take its name, unit or ID. --restart=POLICY is run by podgen's restart
manager, as for installed definitions (always and unless-stopped come back at
boot). Without --name it is named podgen-ID12. An anonymous volume (-v /data)
lives as long as the container and goes with podgen rm -v. With --rm the
container and its unit are removed once it stops (they live under /run).
Every flag podgen import run takes works here; see podgen import run --help.

Without root both make rootless containers: run -d a unit of your user
manager (podgen ps --user, rm --user, ...), run in the foreground in your own
cgroup (so --memory, --cpus and --pids-limit need run -d, or systemd-run
--user --scope around it).

Flags (docker's spelling): -d -t -i --rm --name -e/--env --env-file -u/--user
--group-add -w/--workdir -h/--hostname --entrypoint -v/--volume --tmpfs
-p/--publish --expose --network host|none|bridge --network-alias --ip --dns
--dns-option --dns-search --add-host --cap-add --cap-drop
--security-opt no-new-privileges --read-only --read-only-tmpfs --ulimit
-m/--memory --pids-limit --cpus --shm-size --device --annotation -l/--label
--init --stop-signal --stop-timeout --sysctl --tz --pull`,
  exec: `podgen exec [-t] [-u USER] [-w DIR] [-e NAME=VALUE] NAME|-l COMMAND [ARG...]

Run a command inside a running container (runc exec). NAME is the
container's name, its unit or a unique ID prefix; -l (--latest) is the most
recently created container.`,
  top: `podgen top NAME|-l

The container's processes, as ps shows them on the host.`,
  stats: `podgen stats [NAME...|-l] [--no-stream] [--json]

CPU, memory, pids and I/O of running containers, from their cgroup counters.`,
};

/** How a NAME argument (name, unit, ID prefix; none with --latest) becomes the runc name; a foreground podgen run's container is its own name. */
async function runcNamer(latest: boolean, user: boolean): Promise<(ref: string | undefined) => Promise<string>> {
  const { findContainer, knownContainers, latestContainer } = await import('../commands/containers');
  const all = knownContainers(user);
  return async (ref) => {
    if (latest) return latestContainer(all).name;
    if (ref === undefined) throw new PodgenError('name a container, or use --latest (-l)', { kind: 'usage' });
    return findContainer(all, ref)?.name ?? ref;
  };
}

const RUNTIME_PATHS: Readonly<Record<string, string>> = RUNTIME_BINARIES;

export async function runRuntimeCommand(command: RuntimeCommand, rest: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  if (rest[0] === '--help' || rest[0] === '-h') {
    out.write(`${HELP[command]}\n`);
    return 0;
  }
  switch (command) {
    case 'prepare': {
      const dash = rest.indexOf('--');
      const own = dash === -1 ? [...rest] : rest.slice(0, dash);
      const docker = dash === -1 ? [] : rest.slice(dash + 1);
      const user = flag(own, '--user');
      const name = flagValue(own, ['--name']);
      const runtime = flagValue(own, ['--runtime']) ?? 'runc';
      const fastKey = flagValue(own, ['--fast-key']);
      const then = flagValue(own, ['--then']);
      const record = flagValue(own, ['--record']);
      const thenExecJson = flagValue(own, ['--then-exec-json']);
      let thenExec: string[] | undefined;
      if (thenExecJson !== undefined) {
        const parsed: unknown = JSON.parse(thenExecJson);
        if (!Array.isArray(parsed) || !parsed.every((w): w is string => typeof w === 'string')) throw new PodgenError('--then-exec-json takes a JSON array of strings', { kind: 'usage' });
        thenExec = parsed;
      }
      if (!name || own.length > 0) throw new PodgenError(`usage: ${HELP.prepare.split('\n')[0]}`, { kind: 'usage' });
      if (then !== undefined && then !== 'create' && then !== 'start') throw new PodgenError(`--then ${then}: expected create or start`, { kind: 'usage' });
      const runtimePath = RUNTIME_PATHS[runtime];
      if (!runtimePath) throw new PodgenError(`unknown runtime ${runtime}`, { kind: 'usage', hint: 'runc or crun' });
      const { prepare, takeOverArgv } = await import('../runtime/prepare');
      const { paths } = await prepare({ name, user, argv: docker, runtime: runtimePath, startedByHelper: then === 'start', ...(fastKey ? { fastKey } : {}) });
      if (then === undefined) return 0;
      // The runtime's own messages go to our stderr (the unit's journal); its status is ours.
      const { runAttached } = await import('../process/run');
      return runAttached(takeOverArgv(paths, runtimePath, then, record, thenExec));
    }
    case 'cleanup': {
      const own = [...rest];
      const user = flag(own, '--user');
      const name = flagValue(own, ['--name']);
      const runtime = flagValue(own, ['--runtime']);
      const keepBundle = flag(own, '--keep-bundle');
      if (!name || own.length > 0) throw new PodgenError(`usage: ${HELP.cleanup.split('\n')[0]}`, { kind: 'usage' });
      if (runtime !== undefined && !RUNTIME_PATHS[runtime]) throw new PodgenError(`unknown runtime ${runtime}`, { kind: 'usage', hint: 'runc or crun' });
      const { cleanup } = await import('../runtime/prepare');
      await cleanup({ name, user, runtime: runtime === undefined ? undefined : RUNTIME_PATHS[runtime], keepBundle });
      return 0;
    }
    case 'run': {
      const { detachRequested } = await import('../import/importRun');
      if (detachRequested(rest)) return (await import('./containerCli')).runDetachedCli(rest, out);
      const { runContainer } = await import('../runtime/run');
      return runContainer(rest);
    }
    case 'exec':
    case 'top':
    case 'stats': {
      const inspect = await import('../runtime/inspect');
      // -l/--latest only among the options before NAME: after it, the words are exec's command.
      const firstWord = rest.findIndex((a) => !a.startsWith('-'));
      const leading = firstWord === -1 ? [...rest] : rest.slice(0, firstWord);
      const latest = flag(leading, '-l') || flag(leading, '--latest');
      const argv = [...leading, ...(firstWord === -1 ? [] : rest.slice(firstWord))];
      const user = process.getuid?.() !== 0;
      return inspect.runInspectCommand(command, argv, out, await runcNamer(latest, user), latest);
    }
    default: {
      const never: never = command;
      return never;
    }
  }
}
