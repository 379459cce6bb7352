// The systemd manager over D-Bus (org.freedesktop.systemd1), through
// dbus-next (I/O edge). Commands depend on the SystemdManager interface;
// replies are narrowed from unknown here.

import * as dbus from 'dbus-next';
import { PodgenError } from '../errors';

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
  /** Microseconds since the epoch when the unit last became active (0 when never). */
  readonly activeEnterTimestamp: number;
  readonly fragmentPath: string;
}

export interface SystemdManager {
  reload(): Promise<void>;
  enable(units: readonly string[]): Promise<UnitFileChange[]>;
  disable(units: readonly string[]): Promise<UnitFileChange[]>;
  unitFileState(unit: string): Promise<string | undefined>;
  /** Queue a job for each unit and wait until systemd reports every one finished. */
  runJobs(verb: JobVerb, units: readonly string[], timeoutMs: number): Promise<JobOutcome[]>;
  /** Reset the failed state (and start-rate counters), as `systemctl reset-failed`. */
  resetFailed(unit: string): Promise<void>;
  status(units: readonly string[]): Promise<UnitStatus[]>;
  close(): void;
}

const DEST = 'org.freedesktop.systemd1';
const PATH = '/org/freedesktop/systemd1';
const MANAGER = 'org.freedesktop.systemd1.Manager';
/** Units queried at once (each is three calls; dbus-daemon allows 128 pending replies per connection). */
const STATUS_BATCH = 40;

function changes(reply: unknown): UnitFileChange[] {
  // EnableUnitFiles answers (b carries_install_info, a(sss) changes); DisableUnitFiles just a(sss).
  const list = Array.isArray(reply) && reply.length === 2 && typeof reply[0] === 'boolean' ? reply[1] : reply;
  if (!Array.isArray(list)) return [];
  return list
    .filter((c): c is [string, string, string] => Array.isArray(c) && c.length === 3 && c.every((x) => typeof x === 'string'))
    .map(([type, path, source]) => ({ type, path, source }));
}

function busError(e: unknown, user: boolean): PodgenError {
  const err = e as { code?: string; type?: string; message?: string };
  const text = `${err.type ?? ''} ${err.message ?? String(e)}`;
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || /ENOENT|ECONNREFUSED/.test(text)) {
    return new PodgenError(`systemd is not reachable over D-Bus (${user ? 'session' : 'system'} bus: ${err.message ?? err.code})`, {
      kind: 'unavailable',
      hint: 'is systemd running as PID 1 here? In a container or chroot, write units with podgen generate --output DIR instead',
      cause: e,
    });
  }
  if (/AccessDenied|EACCES|permission/i.test(text)) {
    return new PodgenError(`systemd refused the request: ${err.message ?? text}`, { kind: 'auth', hint: 'run as root, or use --user for your own user manager', cause: e });
  }
  return new PodgenError(`systemd D-Bus call failed: ${err.message ?? text}`, { kind: 'unavailable', cause: e });
}

export async function connectSystemd(user: boolean): Promise<SystemdManager> {
  const bus = user ? dbus.sessionBus() : dbus.systemBus();
  // Connection errors arrive as 'error' events, not as rejections: race them, with a deadline.
  let onError: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = reject;
  });
  bus.on('error', (e: unknown) => onError(e));
  let manager: dbus.ClientInterface;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })), 10_000);
    });
    const obj = await Promise.race([bus.getProxyObject(DEST, PATH), failed, timeout]);
    manager = obj.getInterface(MANAGER);
  } catch (e) {
    bus.disconnect();
    throw busError(e, user);
  } finally {
    clearTimeout(timer);
    onError = () => undefined;
  }
  const call = async (method: string, ...args: unknown[]): Promise<unknown> => {
    try {
      const fn = (manager as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
      if (!fn) throw new Error(`no method ${method}`);
      return await fn.apply(manager, args);
    } catch (e) {
      throw busError(e, user);
    }
  };
  /** A raw method call: no introspection round trip, which matters for 100+ units. */
  const rawCall = async (objectPath: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]> => {
    const reply = await bus.call(new dbus.Message({ destination: DEST, path: objectPath, interface: iface, member, signature, body }));
    return (reply?.body ?? []) as unknown[];
  };
  const properties = async (objectPath: string): Promise<Record<string, unknown>> => {
    const get = (iface: string): Promise<unknown[]> => rawCall(objectPath, 'org.freedesktop.DBus.Properties', 'GetAll', 's', [iface]);
    const [unit, service] = await Promise.all([get('org.freedesktop.systemd1.Unit'), get('org.freedesktop.systemd1.Service').catch(() => [{}])]);
    const out: Record<string, unknown> = {};
    for (const src of [unit[0], service[0]]) {
      if (src && typeof src === 'object') for (const [k, v] of Object.entries(src)) out[k] = v instanceof dbus.Variant ? v.value : v;
    }
    return out;
  };
  const str = (v: unknown): string => (typeof v === 'string' ? v : '');
  const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : 0);
  await call('Subscribe'); // systemd only emits JobRemoved to subscribed clients
  return {
    async reload() {
      await call('Reload');
    },
    async runJobs(verb, units, timeoutMs) {
      // Listen before queueing: a fast job can finish before StartUnit even returns.
      const pending = new Map<string, string>(); // job path -> unit
      const outcomes = new Map<string, JobOutcome>(); // job path -> outcome
      let wake: () => void = () => undefined;
      const onRemoved = (_id: unknown, job: unknown, unit: unknown, result: unknown): void => {
        if (typeof job !== 'string') return;
        outcomes.set(job, { unit: str(unit), result: str(result) });
        wake();
      };
      manager.on('JobRemoved', onRemoved);
      try {
        for (const u of units) {
          const job = await call(verb, u, 'replace');
          if (typeof job === 'string') pending.set(job, u);
        }
        const deadline = Date.now() + timeoutMs;
        while ([...pending.keys()].some((j) => !outcomes.has(j))) {
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
        manager.removeListener('JobRemoved', onRemoved);
      }
    },
    async resetFailed(unit) {
      await call('ResetFailedUnit', unit).catch(() => undefined);
    },
    async status(units) {
      // dbus-daemon caps pending replies per connection (128 on the system bus): ask in batches.
      const one = async (u: string): Promise<UnitStatus> => {
        const [objectPath] = await rawCall(PATH, MANAGER, 'LoadUnit', 's', [u]).catch((e: unknown) => {
          throw busError(e, user);
        });
        const p = await properties(String(objectPath)).catch((e: unknown) => {
          throw busError(e, user);
        });
        return {
          unit: u,
          loadState: str(p.LoadState),
          activeState: str(p.ActiveState),
          subState: str(p.SubState),
          result: str(p.Result),
          mainPid: num(p.MainPID),
          execMainStatus: num(p.ExecMainStatus),
          nRestarts: num(p.NRestarts),
          activeEnterTimestamp: num(p.ActiveEnterTimestamp),
          fragmentPath: str(p.FragmentPath),
        };
      };
      const out: UnitStatus[] = [];
      for (let i = 0; i < units.length; i += STATUS_BATCH) out.push(...(await Promise.all(units.slice(i, i + STATUS_BATCH).map(one))));
      return out;
    },
    async enable(units) {
      return changes(await call('EnableUnitFiles', [...units], false, true));
    },
    async disable(units) {
      return changes(await call('DisableUnitFiles', [...units], false));
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
    },
  };
}
