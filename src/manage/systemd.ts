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

export interface SystemdManager {
  reload(): Promise<void>;
  enable(units: readonly string[]): Promise<UnitFileChange[]>;
  disable(units: readonly string[]): Promise<UnitFileChange[]>;
  unitFileState(unit: string): Promise<string | undefined>;
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
  return {
    async reload() {
      await call('Reload');
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
