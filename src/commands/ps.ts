// podgen ps: every unit podgen wrote, with systemd's view of it. Kept apart
// from the other lifecycle commands so it loads no generator code (ps is the
// command scripts poll; its start-up time is most of its cost).

import { maxOf } from '../arrays';
import * as path from 'node:path';
import { unitStatuses, type StatusQuery, type UnitStatus } from '../manage/unitStatus';
import { readHealth } from '../restart/health';
import { readRecord } from '../restart/record';
import { containerState, type DockerState } from '../restart/state';
import { effectivePolicy, updateDropinPath } from '../restart/update';
import { defaultUnitDir } from '../resolve/searchPaths';
import { lookup } from '../parse/lookup';
import { parseUnitText } from '../parse/parseUnitFile';
import { listDir, readIfExists } from '../resolve/readIfExists';
import { GENERATED_MARK } from '../resolve/unitName';
import { trace } from '../trace';

export interface PsRow {
  readonly unit: string;
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
  /** docker inspect's State. */
  readonly state: DockerState;
}

/** A container's unit (not the units that go with one, such as its health check): "(engine podgen)" in the header's first line. */
const CONTAINER_HEADER = /^[^\n]*\(engine \w+\)/;

const RUNNING = new Set(['active', 'activating', 'reloading', 'deactivating']);

/** Every unit podgen wrote in unitDir, with systemd's view of it (one round of pipelined D-Bus calls). */
export async function ps(unitDir: string, status: (units: readonly string[], query: StatusQuery) => Promise<UnitStatus[]>, all: boolean, user = false): Promise<PsRow[]> {
  const ours = listDir(unitDir)
    .filter((n) => n.endsWith('.service'))
    .map((n) => ({ n, text: readIfExists(path.join(unitDir, n)) }))
    .filter((x): x is { n: string; text: string } => x.text?.startsWith(GENERATED_MARK) === true && CONTAINER_HEADER.test(x.text) && !x.n.endsWith('@.service'));
  trace(`ps: ${ours.length} unit files read`);
  const statuses = await status(ours.map((x) => x.n), { withoutResult: true, detailsWhen: all ? undefined : (state) => RUNNING.has(state) });
  trace('ps: statuses');
  const nowMs = Date.now();
  const rows = ours.map(({ n, text }, i): PsRow => {
    const unit = parseUnitText(text, n, n).unit;
    const s = statuses[i] as UnitStatus;
    const record = readRecord(n, user);
    const { state, summary } = containerState(s, record, nowMs, readHealth(n, user, record));
    return {
      unit: n,
      active: s.activeState,
      sub: s.subState,
      status: summary,
      uptimeSeconds: s.activeState === 'active' && s.mainStartTimestamp > 0 ? Math.round((nowMs * 1000 - s.mainStartTimestamp) / 1e6) : undefined,
      mainPid: s.mainPid,
      restartCount: state.RestartCount,
      restarts: s.nRestarts,
      lastExit: state.ExitCode,
      image: lookup(unit, 'X-Container', 'Image') ?? '',
      restartPolicy: effectivePolicy(text, readIfExists(updateDropinPath(unitDir, n))),
      ports: unit.sections.find((x) => x.name === 'X-Container')?.entries.filter((e) => e.key === 'PublishPort').map((e) => e.value) ?? [],
      state,
    };
  });
  return all ? rows : rows.filter((r) => RUNNING.has(r.active));
}

/** `podgen ps [-a] [--json] [--user]`: the table, or JSON. */
export async function psCommand(args: { user: boolean; all: boolean; json: boolean }, out: NodeJS.WritableStream): Promise<void> {
  const rows = await ps(defaultUnitDir(args.user), (units, query) => unitStatuses(args.user, units, query), args.all, args.user);
  if (args.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = [
    ['UNIT', 'STATUS', 'UPTIME', 'PID', 'RESTARTS', 'POLICY', 'IMAGE', 'PORTS'],
    ...rows.map((r) => [r.unit, r.status, r.uptimeSeconds === undefined ? '-' : `${r.uptimeSeconds}s`, String((r.state.Running && !r.state.Restarting && r.mainPid) || '-'), String(r.restartCount), r.restartPolicy, r.image, r.ports.join(',')]),
  ];
  const widths = table[0]?.map((_, c) => maxOf(table.map((r) => (r[c] ?? '').length))) ?? [];
  for (const r of table) out.write(`${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}\n`);
}
