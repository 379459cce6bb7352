// systemd D-Bus failures as PodgenErrors, for both bus clients (systemd.ts, busReader.ts).

import { PodgenError } from '../errors';

export function busError(e: unknown, user: boolean): PodgenError {
  if (e instanceof PodgenError) return e;
  const err = e as { code?: string; type?: string; message?: string };
  const text = `${err.type ?? ''} ${err.message ?? String(e)}`;
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED' || /ENOENT|ECONNREFUSED/.test(text)) {
    return new PodgenError(`systemd is not reachable over D-Bus (${user ? 'session' : 'system'} bus: ${err.message ?? err.code})`, {
      kind: 'unavailable',
      hint: 'is systemd running as PID 1 here? In a container or chroot, write units with podgen generate --output DIR instead',
      cause: e,
    });
  }
  if (/AccessDenied|AuthFailed|EACCES|permission/i.test(text)) {
    return new PodgenError(`systemd refused the request: ${err.message ?? text}`, { kind: 'auth', hint: 'run as root, or use --user for your own user manager', cause: e });
  }
  return new PodgenError(`systemd D-Bus call failed: ${err.message ?? text}`, { kind: 'unavailable', cause: e });
}
