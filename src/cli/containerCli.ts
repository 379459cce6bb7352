// The container commands: one CLI for every container podgen runs, whatever
// started it (commands/containers.ts). Each takes container names, unit names
// or ID prefixes, or -l/--latest (the most recently created container), as
// podman does.

import * as path from 'node:path';
import type { Argv } from 'yargs';
import type { KnownContainer } from '../commands/containers';
import { ExitCode, PodgenError } from '../errors';
import type { JobVerb } from '../manage/systemd';
import { containerUnitDirs, defaultUnitDir } from '../resolve/searchPaths';
import { ensureImage, EXIT_CODES, GRACE_OPTION, printReports, TIMEOUT_OPTION, timeoutMs, USER_OPTION, warnForUserUnits, withSystemd } from './shared';

interface Refs {
  readonly names: string[];
  readonly latest: boolean;
  readonly user: boolean;
}

const LATEST_OPTION = { alias: 'l', type: 'boolean' as const, default: false, describe: 'the most recently created container (podman\'s --latest)' };
const NAMES = { describe: 'container names, unit names or unique ID prefixes', type: 'string' as const, array: true, default: [] as string[] };

/** The units (and containers) the arguments name; every name is checked before anything is done. */
async function refs(args: Refs, otherUnits = false): Promise<Array<{ unit: string; container: KnownContainer | undefined }>> {
  const { resolveRefs } = await import('../commands/containers');
  return resolveRefs(args.user, args.names, args.latest, { otherUnits });
}

async function one(args: { name?: string; latest: boolean; user: boolean }): Promise<{ unit: string; container: KnownContainer | undefined }> {
  const [r] = await refs({ names: args.name === undefined ? [] : [args.name], latest: args.latest, user: args.user }, true);
  return r as { unit: string; container: KnownContainer | undefined };
}

const containersOnly = (rs: ReadonlyArray<{ unit: string; container: KnownContainer | undefined }>): KnownContainer[] =>
  rs.map((r) => {
    if (!r.container) throw new PodgenError(`${r.unit} is not a container's unit`, { kind: 'usage', hint: 'podgen ps -a lists the containers' });
    return r.container;
  });

async function runJob(verb: JobVerb, args: Refs & { timeout?: number; time?: number }): Promise<void> {
  const { jobs, failureOf } = await import('../commands/lifecycle');
  const ms = timeoutMs(args.timeout);
  if (args.time !== undefined && (!Number.isFinite(args.time) || args.time < 0)) {
    throw new PodgenError(`-t takes the seconds to wait before SIGKILL, 0 or more (got ${args.time})`, { kind: 'usage', hint: 'e.g. podgen stop -t 30 web' });
  }
  const units = (await refs(args, true)).map((r) => r.unit);
  const reports = await withSystemd(args.user, (systemd) => jobs(verb, units, systemd, args.user, containerUnitDirs(args.user), { timeoutMs: ms, stopGraceSeconds: args.time }), true);
  printReports(reports);
  const failure = failureOf(verb === 'StopUnit' ? [] : reports);
  if (failure) throw failure;
}

async function runStatus(args: { name?: string; latest: boolean; user: boolean; json: boolean }): Promise<void> {
  const { journalTail } = await import('../manage/journal');
  const { readRecord } = await import('../restart/record');
  const { readHealth } = await import('../restart/health');
  const { containerState } = await import('../restart/state');
  const { unit, container: c } = await one(args);
  const [st, fragmentPath] = await withSystemd(args.user, async (systemd) => [(await systemd.status([unit]))[0], await systemd.fragmentPath(unit)] as const);
  if (!st || st.loadState === 'not-found') throw new PodgenError(`${unit} is not loaded by systemd`, { kind: 'not-found', hint: `systemctl${args.user ? ' --user' : ''} daemon-reload, or podgen up again` });
  const record = readRecord(unit, args.user);
  const container = containerState(st, record, Date.now(), readHealth(unit, args.user, record));
  const journal = await journalTail(unit, 10, args.user);
  if (args.json) {
    process.stdout.write(`${JSON.stringify({ ...(c ? { name: c.name, origin: c.origin, id: c.id } : {}), ...st, fragmentPath, container: container.summary, State: container.state, journal: journal.split('\n') }, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `${unit}: ${st.activeState}/${st.subState}${st.mainPid ? `, pid ${st.mainPid}` : ''}, restarts ${st.nRestarts}, last exit ${st.execMainStatus}, result ${st.result}\n${c ? `  name: ${c.name} (${c.origin}${c.id ? `, ID ${c.id.slice(0, 12)}` : ''})\n` : ''}  container: ${container.summary}${record ? `, restart count ${container.state.RestartCount}, policy ${record.policy}` : ''}\n  unit file: ${fragmentPath}\n${journal ? `${journal.split('\n').map((l) => `  ${l}`).join('\n')}\n` : ''}`,
  );
}

async function runLogs(args: { name?: string; latest: boolean; user: boolean; follow: boolean; lines: number | undefined; since: string | undefined; timestamps: boolean }): Promise<void> {
  const { logs } = await import('../commands/lifecycle');
  const { unit } = await one(args);
  const status = await logs(unit, args.user, args);
  if (status !== 0) process.exitCode = ExitCode.unavailable;
}

async function runInspect(args: Refs): Promise<void> {
  const { inspectUnit } = await import('../commands/lifecycle');
  const targets = await refs(args, true);
  const infos = await withSystemd(args.user, (systemd) => Promise.all(targets.map((t) => inspectUnit(t.unit, t.container ? path.dirname(t.container.unitFile) : defaultUnitDir(args.user), systemd, args.user, t.container))));
  // One name: the object, as before; several (or --latest): an array, as docker inspect prints.
  process.stdout.write(`${JSON.stringify(args.names.length === 1 ? infos[0] : infos, null, 2)}\n`);
}

async function runKill(args: Refs & { signal: string }): Promise<void> {
  const { killContainers } = await import('../commands/containerOps');
  const targets = containersOnly(await refs(args));
  await withSystemd(args.user, (systemd) => killContainers(targets, args.signal, systemd, args.user), true);
  for (const c of targets) process.stdout.write(`${c.name}\n`);
}

async function runRm(args: Refs & { force: boolean; volumes: boolean; 'stopped-unit'?: string }): Promise<void> {
  if (args['stopped-unit'] !== undefined) {
    const { removeStoppedUnit } = await import('../commands/remove');
    await removeStoppedUnit(args['stopped-unit'], containerUnitDirs(args.user), args.user);
    return;
  }
  const { removeContainers } = await import('../commands/remove');
  const targets = containersOnly(await refs(args));
  const removed = await withSystemd(args.user, (systemd) => removeContainers(targets, { force: args.force, volumes: args.volumes, user: args.user }, systemd), true);
  for (const n of removed) process.stdout.write(`${n}\n`);
}

async function runWait(args: Refs): Promise<void> {
  const { waitContainers } = await import('../commands/containerOps');
  const targets = containersOnly(await refs(args));
  const codes = await withSystemd(args.user, (systemd) => waitContainers(targets, systemd, args.user));
  for (const c of codes) process.stdout.write(`${c}\n`);
}

async function runPort(args: { name?: string; latest: boolean; user: boolean; port?: string }): Promise<void> {
  const { containerPorts } = await import('../commands/containerOps');
  const [c] = containersOnly([await one(args)]);
  const want = args.port === undefined ? undefined : /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(args.port);
  if (args.port !== undefined && !want) throw new PodgenError(`${args.port} is not PORT[/PROTOCOL]`, { kind: 'usage', hint: 'e.g. podgen port web 80/tcp' });
  const lines = containerPorts(c as KnownContainer, args.user).filter((p) => !want || (p.containerPort === Number(want[1]) && p.protocol === (want[2] ?? 'tcp')));
  if (want && lines.length === 0) throw new PodgenError(`${c?.name} publishes no port ${args.port}`, { kind: 'not-found' });
  for (const p of lines) process.stdout.write(want ? `${p.hostIp}:${p.hostPort}\n` : `${p.containerPort}/${p.protocol} -> ${p.hostIp}:${p.hostPort}\n`);
}

async function runPs(args: { user: boolean; all: boolean; json: boolean; quiet: boolean; latest: boolean; format?: string; filter: string[] }): Promise<void> {
  const { psCommand } = await import('../commands/ps');
  await psCommand(args, process.stdout);
}

/** `podgen run -d`: a definition and a unit; prints the ID, as docker run -d does. */
export async function runDetachedCli(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  // Not root: a rootless container of the caller's user manager, as with podman.
  const user = process.getuid?.() !== 0;
  const { runDetached } = await import('../commands/runDetached');
  const { machineContext } = await import('../commands/generate');
  const r = await withSystemd(user, (systemd) => runDetached({ argv, systemd, ctx: machineContext(user), ensureImage: (image) => ensureImage(image, user, false), env: process.env, cwd: process.cwd(), user }), true);
  if (user) await warnForUserUnits([{ unit: r.unit, path: r.unitPath }]);
  out.write(`${r.id}\n`);
  return 0;
}

const ps = (y: Argv): Argv =>
  y
    .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'also containers that are not running' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'names only, one per line' })
    .option('latest', LATEST_OPTION)
    .option('filter', { alias: 'f', type: 'string', array: true, default: [] as string[], describe: 'name=TEXT, status=created|running|restarting|exited, label=KEY[=VALUE], origin=definition|run|pod|compose, id=PREFIX, unit=UNIT (one key given twice: either; different keys: all)' })
    .option('format', { type: 'string', describe: 'json, or a template: "{{.Names}}\\t{{.Status}}" ("table ..." adds a header); fields: Names ID Image Command CreatedAt Status State Ports Labels Pod Unit Origin Policy Restarts Pid ExitCode' })
    .option('user', USER_OPTION)
    .option('json', { type: 'boolean', default: false, describe: 'print as JSON (same as --format json)' })
    .example('$0 ps -a --filter origin=run --format "{{.Names}} {{.Status}}"', 'containers podgen run -d started, running or not')
    .epilog(EXIT_CODES);

/** The container commands, added to the CLI's yargs. */
export function containerCommands(y: Argv): Argv {
  const job = (verb: JobVerb) => (args: Refs & { timeout?: number; time?: number }) => runJob(verb, args);
  return y
    .command<Refs & { timeout?: number }>(
      'start [names..]',
      'start containers and wait; a start by hand resets the restart count and back-off (a spent on-failure:N budget), as Docker does',
      (yy) => yy.positional('names', NAMES).options({ latest: LATEST_OPTION, user: USER_OPTION, timeout: TIMEOUT_OPTION }).epilog(EXIT_CODES),
      job('StartUnit'),
    )
    .command<Refs & { timeout?: number; time?: number }>(
      'stop [names..]',
      'stop containers and wait: the stop signal, then SIGKILL after the grace period; a stop by hand is not a failure, and unless-stopped ones stay down, also across reboots',
      (yy) => yy.positional('names', NAMES).options({ latest: LATEST_OPTION, user: USER_OPTION, timeout: TIMEOUT_OPTION, time: GRACE_OPTION }).epilog(EXIT_CODES),
      job('StopUnit'),
    )
    .command<Refs & { timeout?: number; time?: number }>(
      'restart [names..]',
      'restart containers and wait (a restart by hand resets the restart count and back-off)',
      (yy) => yy.positional('names', NAMES).options({ latest: LATEST_OPTION, user: USER_OPTION, timeout: TIMEOUT_OPTION, time: GRACE_OPTION }).epilog(EXIT_CODES),
      job('RestartUnit'),
    )
    .command<Refs & { signal: string }>(
      'kill [names..]',
      'send a signal to containers (default SIGKILL); SIGKILL or the stop signal is a stop by hand, as docker kill (the restart policy does not bring it back); other signals are only delivered',
      (yy) => yy.positional('names', NAMES).options({ signal: { alias: 's', type: 'string', default: 'KILL', describe: 'signal name or number' }, latest: LATEST_OPTION, user: USER_OPTION }).epilog(EXIT_CODES),
      (args) => runKill(args),
    )
    .command<Refs & { force: boolean; volumes: boolean; 'stopped-unit'?: string }>(
      'rm [names..]',
      'remove containers podgen run -d started (unit, definition, record); -f stops a running one first, -v also removes its anonymous volumes. A definition\'s container: use podgen down (rm -f does the same; the definition stays)',
      (yy) =>
        yy
          .positional('names', NAMES)
          .options({
            force: { alias: 'f', type: 'boolean', default: false, describe: 'stop a running container first; for a definition\'s container, do what podgen down does' },
            volumes: { alias: 'v', type: 'boolean', default: false, describe: 'also remove the container\'s anonymous volumes' },
            latest: LATEST_OPTION,
            user: USER_OPTION,
            'stopped-unit': { type: 'string', hidden: true },
          })
          .epilog(EXIT_CODES),
      (args) => runRm(args),
    )
    .command<Refs>('wait [names..]', 'wait until containers stop (or end and restart), then print their exit codes', (yy) => yy.positional('names', NAMES).options({ latest: LATEST_OPTION, user: USER_OPTION }).epilog(EXIT_CODES), (args) => runWait(args))
    .command<{ name?: string; port?: string; latest: boolean; user: boolean }>(
      'port [name] [port]',
      'a container\'s published ports: CONTAINER_PORT/PROTO -> HOST_IP:HOST_PORT (as bound now, including ports picked at start)',
      (yy) => yy.positional('name', { type: 'string', describe: 'container' }).positional('port', { type: 'string', describe: 'only this PORT[/PROTO]: prints HOST_IP:HOST_PORT' }).options({ latest: LATEST_OPTION, user: USER_OPTION }).epilog(EXIT_CODES),
      (args) => runPort(args.latest && args.name !== undefined && args.port === undefined ? { ...args, name: undefined, port: args.name } : args),
    )
    .command<{ name?: string; latest: boolean; user: boolean; json: boolean }>(
      'status [name]',
      'one container (or unit): systemd state, PID, restarts, last exit, unit file, last journal lines',
      (yy) => yy.options({ latest: LATEST_OPTION, user: USER_OPTION, json: { type: 'boolean', default: false, describe: 'print as JSON' } }).epilog(EXIT_CODES),
      (args) => runStatus(args),
    )
    .command<{ name?: string; latest: boolean; user: boolean; follow: boolean; lines: number | undefined; since: string | undefined; timestamps: boolean }>(
      'logs [name]',
      "the container's output, from the journal",
      (yy) =>
        yy
          .option('follow', { alias: 'f', type: 'boolean', default: false, describe: 'keep printing new lines' })
          .option('lines', { alias: ['n', 'tail'], type: 'number', describe: 'only the last N lines' })
          .option('since', { type: 'string', describe: 'only lines since a time, e.g. "10 min ago" or 2026-01-01' })
          .option('timestamps', { alias: 't', type: 'boolean', default: false, describe: 'each line with its time' })
          .options({ latest: LATEST_OPTION, user: USER_OPTION })
          .epilog(EXIT_CODES),
      (args) => runLogs(args),
    )
    .command<Refs>(
      'inspect [names..]',
      'containers (or units) as JSON: name, origin, ID, definition, drop-ins, unit file, the container keys, State, systemd\'s properties',
      (yy) => yy.positional('names', NAMES).options({ latest: LATEST_OPTION, user: USER_OPTION }).epilog(EXIT_CODES),
      (args) => runInspect(args),
    )
    .command<{ user: boolean; all: boolean; json: boolean; quiet: boolean; latest: boolean; format?: string; filter: string[] }>(
      'ps',
      'every container podgen runs (definitions, run -d, pod members): name, origin, state, uptime, PID, restarts, policy, image, ports, unit',
      ps,
      (args) => runPs(args),
    );
}
