// What podgen reports about units (ps, status, up's settle check): one
// ListUnitsByNames for the states of all, then the few Service properties it
// shows, as single pipelined Gets over the lean reader (busReader.ts).

import { busError } from './busError';
import { openBusReader, type BusReader } from './busReader';
import type { WireValue } from './wire';

/** The properties podgen reports about a unit. */
export interface UnitStatus {
  readonly unit: string;
  readonly loadState: string;
  readonly activeState: string;
  readonly subState: string;
  readonly result: string;
  readonly mainPid: number;
  readonly execMainStatus: number;
  readonly nRestarts: number;
  /** Microseconds since the epoch when the main process last started (0 when never). */
  readonly mainStartTimestamp: number;
}

const DEST = 'org.freedesktop.systemd1';
const SERVICE = 'org.freedesktop.systemd1.Service';
/** Fetched one by one: a GetAll of ~300 Service properties costs systemd and us more than a few Gets. */
const PROPERTIES = ['MainPID', 'ExecMainStatus', 'NRestarts', 'ExecMainStartTimestamp', 'Result'] as const;

/** ActiveStates in which a unit's container is (still or already) running: not inactive, failed or gone. */
export const RUNNING_STATES: ReadonlySet<string> = new Set(['active', 'activating', 'reloading', 'deactivating']);

export interface StatusQuery {
  /** Skip Result (ps does not show it): one call less per unit. */
  readonly withoutResult?: boolean;
  /** Fetch service properties only for units in these active states (the rest get zeros). */
  readonly detailsWhen?: (activeState: string) => boolean;
}

const text = (v: WireValue | undefined): string => (typeof v === 'string' ? v : '');
const count = (v: WireValue | undefined): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);

/** ActiveState etc. of many units: ListUnitsByNames rows (name, description, load, active, sub, following, path, ...). */
async function listUnits(reader: BusReader, units: readonly string[]): Promise<WireValue[][]> {
  if (units.length === 0) return [];
  const [rows] = await reader.call({ destination: DEST, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'ListUnitsByNames', signature: 'as', body: [units] });
  return units.map((_, i) => (Array.isArray(rows) && Array.isArray(rows[i]) ? (rows[i] as WireValue[]) : []));
}

/** Only ActiveState of many units, from one ListUnitsByNames. */
export async function readActiveStates(reader: BusReader, units: readonly string[]): Promise<string[]> {
  return (await listUnits(reader, units)).map((row) => text(row[3]) || 'inactive');
}

export async function readUnitStatuses(reader: BusReader, units: readonly string[], query: StatusQuery = {}): Promise<UnitStatus[]> {
  const rows = await listUnits(reader, units);
  const get = (objectPath: string, property: string): Promise<WireValue | undefined> =>
    reader.call({ destination: DEST, path: objectPath, interface: 'org.freedesktop.DBus.Properties', member: 'Get', signature: 'ss', body: [SERVICE, property] }).then(
      ([v]) => v,
      () => undefined, // not a service, or gone meanwhile: no service properties
    );
  return Promise.all(
    units.map(async (unit, i): Promise<UnitStatus> => {
      const row = rows[i] ?? [];
      const objectPath = text(row[6]);
      const loadState = text(row[2]) || 'not-found';
      const activeState = text(row[3]) || 'inactive';
      const wanted = objectPath !== '' && loadState !== 'not-found' && (query.detailsWhen?.(activeState) ?? true);
      const properties = query.withoutResult ? PROPERTIES.slice(0, -1) : PROPERTIES;
      const [mainPid, execMainStatus, nRestarts, started, result] = wanted ? await Promise.all(properties.map((p) => get(objectPath, p))) : [];
      return {
        unit,
        loadState,
        activeState,
        subState: text(row[4]) || 'dead',
        result: text(result),
        mainPid: count(mainPid),
        execMainStatus: count(execMainStatus),
        nRestarts: count(nRestarts),
        mainStartTimestamp: count(started),
      };
    }),
  );
}

/** A reader on the system bus (or the user's session bus), its failures turned into PodgenErrors. */
export async function connectStatusReader(user: boolean): Promise<BusReader> {
  try {
    return await openBusReader(user ? 'session' : 'system');
  } catch (e) {
    throw busError(e, user);
  }
}

/** One-shot: statuses of units, connection opened and closed here. */
export async function unitStatuses(user: boolean, units: readonly string[], query: StatusQuery = {}): Promise<UnitStatus[]> {
  const reader = await connectStatusReader(user);
  try {
    return await readUnitStatuses(reader, units, query);
  } catch (e) {
    throw busError(e, user);
  } finally {
    reader.close();
  }
}
