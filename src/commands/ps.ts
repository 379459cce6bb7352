// podgen ps: every unit podgen wrote, with systemd's view of it. Kept apart
// from the other lifecycle commands so it loads no generator code (ps is the
// command scripts poll; its start-up time is most of its cost).

import * as path from 'node:path';
import { unitStatuses, type StatusQuery, type UnitStatus } from '../manage/unitStatus';
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
  readonly uptimeSeconds: number | undefined;
  readonly mainPid: number;
  readonly restarts: number;
  readonly lastExit: number;
  readonly image: string;
  readonly restartPolicy: string;
  readonly ports: readonly string[];
}

const RUNNING = new Set(['active', 'activating', 'reloading', 'deactivating']);

/** Every unit podgen wrote in unitDir, with systemd's view of it (one round of pipelined D-Bus calls). */
export async function ps(unitDir: string, status: (units: readonly string[], query: StatusQuery) => Promise<UnitStatus[]>, all: boolean): Promise<PsRow[]> {
  const ours = listDir(unitDir)
    .filter((n) => n.endsWith('.service'))
    .map((n) => ({ n, text: readIfExists(path.join(unitDir, n)) }))
    .filter((x): x is { n: string; text: string } => x.text?.startsWith(GENERATED_MARK) === true && !x.n.endsWith('@.service'));
  trace(`ps: ${ours.length} unit files read`);
  const statuses = await status(ours.map((x) => x.n), { withoutResult: true, detailsWhen: all ? undefined : (state) => RUNNING.has(state) });
  trace('ps: statuses');
  const now = Date.now() * 1000;
  const rows = ours.map(({ n, text }, i) => {
    const unit = parseUnitText(text, n, n).unit;
    const s = statuses[i] as UnitStatus;
    return {
      unit: n,
      active: s.activeState,
      sub: s.subState,
      uptimeSeconds: s.activeState === 'active' && s.mainStartTimestamp > 0 ? Math.round((now - s.mainStartTimestamp) / 1e6) : undefined,
      mainPid: s.mainPid,
      restarts: s.nRestarts,
      lastExit: s.execMainStatus,
      image: lookup(unit, 'X-Container', 'Image') ?? '',
      restartPolicy: lookup(unit, 'X-Container', 'RestartPolicy') ?? lookup(unit, 'Service', 'Restart') ?? 'no',
      ports: unit.sections.find((x) => x.name === 'X-Container')?.entries.filter((e) => e.key === 'PublishPort').map((e) => e.value) ?? [],
    };
  });
  return all ? rows : rows.filter((r) => RUNNING.has(r.active));
}

/** `podgen ps [-a] [--json] [--user]`: the table, or JSON. */
export async function psCommand(args: { user: boolean; all: boolean; json: boolean }, out: NodeJS.WritableStream): Promise<void> {
  const rows = await ps(defaultUnitDir(args.user), (units, query) => unitStatuses(args.user, units, query), args.all);
  if (args.json) {
    out.write(`${JSON.stringify(rows, null, 2)}\n`);
    return;
  }
  const table = [
    ['UNIT', 'STATE', 'UPTIME', 'PID', 'RESTARTS', 'EXIT', 'POLICY', 'IMAGE', 'PORTS'],
    ...rows.map((r) => [r.unit, `${r.active}/${r.sub}`, r.uptimeSeconds === undefined ? '-' : `${r.uptimeSeconds}s`, String(r.mainPid || '-'), String(r.restarts), String(r.lastExit), r.restartPolicy, r.image, r.ports.join(',')]),
  ];
  const widths = table[0]?.map((_, c) => Math.max(...table.map((r) => (r[c] ?? '').length))) ?? [];
  for (const r of table) out.write(`${r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}\n`);
}
