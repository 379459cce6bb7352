// The systemd manager over D-Bus (org.freedesktop.systemd1), through
// dbus-next (I/O edge). Commands depend on the SystemdManager interface;
// replies are narrowed from unknown here.

import * as dbus from 'dbus-next';
import { PodgenError } from '../errors';
import { openBus, str, unwrap } from './bus';
import { busError } from './busError';
import { connectStatusReader, readActiveStates, readUnitStatuses, type UnitStatus } from './unitStatus';
import type { BusReader } from './busReader';

export type { UnitStatus } from './unitStatus';

export interface UnitFileChange {
  readonly type: string;
  readonly path: string;
  readonly source: string;
}

export type JobVerb = 'StartUnit' | 'StopUnit' | 'RestartUnit';

/** How a job ended (systemd's JobRemoved result: done, failed, timeout, canceled, dependency, skipped). */
export interface JobOutcome {
  readonly unit: string;
  readonly result: string;
}

export interface SystemdManager {
  reload(): Promise<void>;
  enable(units: readonly string[]): Promise<UnitFileChange[]>;
  disable(units: readonly string[]): Promise<UnitFileChange[]>;
  /** Make TARGET want the units (`systemctl add-wants`): they start with it, at boot. */
  addWants(target: string, units: readonly string[]): Promise<UnitFileChange[]>;
  unitFileState(unit: string): Promise<string | undefined>;
  /** Queue a job for each unit and wait until systemd reports every one finished (onFinished as each does). */
  runJobs(verb: JobVerb, units: readonly string[], timeoutMs: number, onFinished?: (outcome: JobOutcome) => void, queue?: (unit: string) => Promise<unknown>): Promise<JobOutcome[]>;
  /** Send a signal to the unit's main process (`systemctl kill --kill-whom=main`). */
  kill(unit: string, signal: number): Promise<void>;
  /** Reset the failed state (and start-rate counters), as `systemctl reset-failed`. */
  resetFailed(unit: string): Promise<void>;
  /** States of many units: one ListUnitsByNames plus a few Gets per unit. */
  status(units: readonly string[]): Promise<UnitStatus[]>;
  /** Only ActiveState of many units, in one ListUnitsByNames call. */
  activeStates(units: readonly string[]): Promise<string[]>;
  /** The file a unit was loaded from ('' when none). */
  fragmentPath(unit: string): Promise<string>;
  close(): void;
}

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';


function changes(reply: unknown): UnitFileChange[] {
  // EnableUnitFiles answers (b carries_install_info, a(sss) changes); DisableUnitFiles just a(sss).
  const list = Array.isArray(reply) && reply.length === 2 && typeof reply[0] === 'boolean' ? reply[1] : reply;
  if (!Array.isArray(list)) return [];
  return list
    .filter((c): c is [string, string, string] => Array.isArray(c) && c.length === 3 && c.every((x) => typeof x === 'string'))
    .map(([type, path, source]) => ({ type, path, source }));
}

export async function connectSystemd(user: boolean): Promise<SystemdManager> {
  // systemd only emits JobRemoved to subscribed clients; Subscribe also proves it is there.
  const raw = await openBus(user ? 'session' : 'system', (b) => b.call(DEST, PATH, MANAGER, 'Subscribe', '', []), (e) => busError(e, user));
  const bus = raw.bus;
  const rawCall = (objectPath: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> => raw.call(DEST, objectPath, iface, member, signature, body);
  const SIGNATURES: Record<string, string> = {
    Reload: '',
    StartUnit: 'ss',
    StopUnit: 'ss',
    RestartUnit: 'ss',
    ResetFailedUnit: 's',
    EnableUnitFiles: 'asbb',
    DisableUnitFiles: 'asb',
    AddDependencyUnitFiles: 'asssbb',
    GetUnitFileState: 's',
    KillUnit: 'ssi',
  };
  const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
    try {
      const body = await rawCall(PATH, MANAGER, method, SIGNATURES[method] ?? '', args);
      return body.length <= 1 ? body[0] : body;
    } catch (e) {
      throw busError(e, user);
    }
  };
  const jobListeners = new Set<(job: string, unit: string, result: string) => void>();
  let matching: Promise<unknown> | undefined;
  /** Route JobRemoved signals to listeners; the match rule is added on first use. */
  const watchJobs = async (): Promise<void> => {
    matching ??= bus
      .call(
        new dbus.Message({
          destination: 'org.freedesktop.DBus',
          path: '/org/freedesktop/DBus',
          interface: 'org.freedesktop.DBus',
          member: 'AddMatch',
          signature: 's',
          body: [`type='signal',sender='${DEST}',path='${PATH}',interface='${MANAGER}',member='JobRemoved'`],
        }),
      )
      .then(() =>
        bus.on('message', (m: dbus.Message) => {
          if (m.type !== dbus.MessageType.SIGNAL || m.member !== 'JobRemoved' || m.interface !== MANAGER) return;
          const [, job, unit, result] = m.body as unknown[];
          for (const l of jobListeners) l(str(job), str(unit), str(result));
        }),
      );
    await matching;
  };
  // Status queries go over a second, lean connection (unitStatus.ts), opened on first use.
  let reader: Promise<BusReader> | undefined;
  const statusReader = (): Promise<BusReader> => (reader ??= connectStatusReader(user));
  const query = async <T>(f: (r: BusReader) => Promise<T>): Promise<T> => {
    try {
      return await f(await statusReader());
    } catch (e) {
      throw busError(e, user);
    }
  };
  const manager: SystemdManager = {
    async reload() {
      await call('Reload');
    },
    async kill(unit, signal) {
      await call('KillUnit', unit, 'main', signal);
    },
    async runJobs(verb, units, timeoutMs, onFinished, queue) {
      // Listen before queueing: a fast job can finish before StartUnit even returns.
      const pending = new Map<string, string>(); // job path -> unit
      const outcomes = new Map<string, JobOutcome>(); // job path -> outcome
      let wake: () => void = () => undefined;
      const onRemoved = (job: string, unit: string, result: string): void => {
        outcomes.set(job, { unit, result });
        wake();
      };
      await watchJobs().catch((e: unknown) => {
        throw busError(e, user);
      });
      jobListeners.add(onRemoved);
      try {
        for (const u of units) {
          const job = queue ? await queue(u) : await call(verb, u, 'replace');
          if (typeof job === 'string') pending.set(job, u);
        }
        const reported = new Set<string>();
        const report = (): void => {
          for (const [job, unit] of pending) {
            const o = outcomes.get(job);
            if (o && !reported.has(job)) {
              reported.add(job);
              onFinished?.({ unit, result: o.result });
            }
          }
        };
        const deadline = Date.now() + timeoutMs;
        for (report(); [...pending.keys()].some((j) => !outcomes.has(j)); report()) {
          const left = deadline - Date.now();
          if (left <= 0) {
            const waiting = [...pending].filter(([j]) => !outcomes.has(j)).map(([, u]) => u);
            throw new PodgenError(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for systemd to ${verb.replace('Unit', '').toLowerCase()} ${waiting.join(', ')}`, {
              kind: 'unavailable',
              hint: 'the jobs are still queued in systemd: see systemctl list-jobs and podgen status NAME',
            });
          }
          await new Promise<void>((resolve) => {
            const t = setTimeout(resolve, Math.min(left, 1000));
            wake = () => {
              clearTimeout(t);
              resolve();
            };
          });
        }
        return [...pending].map(([job, unit]) => ({ unit, result: outcomes.get(job)?.result ?? 'unknown' }));
      } finally {
        jobListeners.delete(onRemoved);
      }
    },
    async resetFailed(unit) {
      await call('ResetFailedUnit', unit).catch(() => undefined);
    },
    async activeStates(units) {
      return query((r) => readActiveStates(r, units));
    },
    async status(units) {
      return query((r) => readUnitStatuses(r, units));
    },
    async fragmentPath(unit) {
      try {
        const [objectPath] = await rawCall(PATH, MANAGER, 'LoadUnit', 's', [unit]);
        const [v] = await rawCall(str(objectPath), 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.freedesktop.systemd1.Unit', 'FragmentPath']);
        return str(unwrap(v));
      } catch (e) {
        throw busError(e, user);
      }
    },
    async enable(units) {
      return changes(await call('EnableUnitFiles', [...units], false, true));
    },
    async disable(units) {
      return changes(await call('DisableUnitFiles', [...units], false));
    },
    async addWants(target, units) {
      return changes(await call('AddDependencyUnitFiles', [...units], target, 'Wants', false, false));
    },
    async unitFileState(unit) {
      try {
        const state = await call('GetUnitFileState', unit);
        return typeof state === 'string' ? state : undefined;
      } catch {
        return undefined;
      }
    },
    close() {
      bus.disconnect();
      void reader?.then((r) => r.close(), () => undefined);
    },
  };
  return manager;
}
