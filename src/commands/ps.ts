// podgen ps: every container podgen runs (commands/containers.ts: a
// definition's, run -d's, a pod member), with systemd's view of its unit.
// Kept apart from the other lifecycle commands so it loads no generator code
// (ps is the command scripts poll; its start-up time is most of its cost).

import { PodgenError } from '../errors';
import { RUNNING_STATES, unitStatuses, type StatusQuery, type UnitStatus } from '../manage/unitStatus';
import { readHealth } from '../restart/health';
import { readRecord } from '../restart/record';
import { containerState, duration, type DockerState } from '../restart/state';
import { effectivePolicy, updateDropinPath } from '../restart/update';
import { readIfExists } from '../resolve/readIfExists';
import { trace } from '../trace';
import { type KnownContainer, knownContainers, latestContainer, type Origin } from './containers';
import { alignColumns } from '../output/columns';
import { formatRows, type PsFilter, parseFilters, matchesFilters } from './psFormat';
import * as path from 'node:path';

export interface PsRow {
  /** The container's name (what every command takes). */
  readonly name: string;
  readonly unit: string;
  /** definition (install/up, the generator), run (podgen run -d) or pod (a pod's member). */
  readonly origin: Origin;
  /** run -d containers: the 64-digit ID. */
  readonly id: string | undefined;
  /** ISO time: run -d's creation, else when its unit was installed. */
  readonly created: string;
  readonly active: string;
  readonly sub: string;
  /** Docker's view: "running", "restarting (in 3.2s)", "exited (1) 5 min ago", "gave up after 3 restarts", ... */
  readonly status: string;
  readonly uptimeSeconds: number | undefined;
  readonly mainPid: number;
  /** Docker's RestartCount: automatic restarts since the last start by hand (the restart manager's record). */
  readonly restartCount: number;
  /** systemd's NRestarts (every automatic restart since the unit was loaded). */
  readonly restarts: number;
  readonly lastExit: number;
  readonly image: string;
  /** The policy in force (a podgen update --restart drop-in wins over the definition). */
  readonly restartPolicy: string;
  readonly ports: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly pod: string | undefined;
  readonly definition: string | undefined;
  /** run -d: the command line. */
  readonly command: string | undefined;
  /** docker inspect's State. */
  readonly state: DockerState;
}


export interface PsQuery {
  readonly all: boolean;
  readonly latest?: boolean;
  readonly filters?: readonly PsFilter[];
}

/** The containers, with systemd's view of each (one round of pipelined D-Bus calls). */
export async function ps(containers: readonly KnownContainer[], status: (units: readonly string[], query: StatusQuery) => Promise<UnitStatus[]>, q: PsQuery, user = false): Promise<PsRow[]> {
  const filters = q.filters ?? [];
  // A status filter looks at stopped containers too, as docker ps --filter status=exited does.
  const all = q.all || q.latest === true || filters.some((f) => f.key === 'status');
  const chosen = q.latest ? (containers.length ? [latestContainer(containers)] : []) : containers;
  trace(`ps: ${chosen.length} unit files read`);
  const statuses = await status(chosen.map((c) => c.unit), { withoutResult: true, detailsWhen: all ? undefined : (state) => RUNNING_STATES.has(state) });
  trace('ps: statuses');
  const nowMs = Date.now();
  const rows = chosen.map((c, i): PsRow => {
    const s = statuses[i] as UnitStatus;
    const record = readRecord(c.unit, user);
    const { state, summary } = containerState(s, record, nowMs, readHealth(c.unit, user, record));
    return {
      name: c.name,
      unit: c.unit,
      origin: c.origin,
      id: c.id,
      created: new Date(c.createdMs).toISOString(),
      active: s.activeState,
      sub: s.subState,
      status: summary,
      uptimeSeconds: s.activeState === 'active' && s.mainStartTimestamp > 0 ? Math.round((nowMs * 1000 - s.mainStartTimestamp) / 1e6) : undefined,
      mainPid: s.mainPid,
      restartCount: state.RestartCount,
      restarts: s.nRestarts,
      lastExit: state.ExitCode,
      image: c.image,
      restartPolicy: effectivePolicy(c.text, readIfExists(updateDropinPath(path.dirname(c.unitFile), c.unit))),
      ports: c.ports,
      labels: c.labels,
      pod: c.pod,
      definition: c.definition,
      command: c.command,
      state,
    };
  });
  return rows.filter((r) => (all || RUNNING_STATES.has(r.active)) && matchesFilters(r, filters));
}

export interface PsArgs {
  readonly user: boolean;
  readonly all: boolean;
  readonly json: boolean;
  readonly quiet?: boolean;
  readonly latest?: boolean;
  readonly format?: string;
  readonly filter?: readonly string[];
}

/** `podgen ps [-a] [-q] [-l] [--filter K=V]... [--format json|TEMPLATE] [--json] [--user]`. */
export async function psCommand(args: PsArgs, out: NodeJS.WritableStream): Promise<void> {
  const filters = parseFilters(args.filter ?? []);
  if (args.quiet && args.format !== undefined) throw new PodgenError('-q and --format do not go together', { kind: 'usage', hint: '-q prints names; --format "{{.Names}}" does too' });
  const rows = await ps(knownContainers(args.user), (units, query) => unitStatuses(args.user, units, query), { all: args.all, latest: args.latest === true, filters }, args.user);
  if (args.json || args.format === 'json') {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  if (args.quiet) {
    for (const r of rows) out.write(`${r.name}\n`);
    return;
  }
  if (args.format !== undefined) {
    out.write(await formatRows(rows, args.format));
    return;
  }
  const table = [
    ['NAME', 'ORIGIN', 'STATUS', 'UPTIME', 'PID', 'RESTARTS', 'POLICY', 'IMAGE', 'PORTS', 'UNIT'],
    ...rows.map((r) => [r.name, r.origin, r.status, r.uptimeSeconds === undefined ? '-' : duration(r.uptimeSeconds * 1000), String((r.state.Running && !r.state.Restarting && r.mainPid) || '-'), String(r.restartCount), r.restartPolicy, r.image, r.ports.join(',') || '-', r.unit]),
  ];
  out.write(alignColumns(table));
}
