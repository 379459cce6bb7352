// systemd-logind over D-Bus (org.freedesktop.login1): lingering, which lets
// a user's manager (and so their --user containers) start at boot without a
// login. I/O edge; replies narrowed here.

import { PodgenError } from '../errors';
import { openBus, type RawBus, unwrap } from './bus';

const DEST = 'org.freedesktop.login1';
const PATH = '/org/freedesktop/login1';
const MANAGER = 'org.freedesktop.login1.Manager';

function loginError(e: unknown): PodgenError {
  const err = e as { code?: string; type?: string; message?: string };
  const text = `${err.type ?? ''} ${err.message ?? String(e)}`;
  if (/AccessDenied|InteractiveAuthorizationRequired|EACCES|permission/i.test(text)) {
    return new PodgenError(`logind refused to change lingering: ${err.message ?? text}`, {
      kind: 'auth',
      hint: 'run as root (sudo podgen linger USER); without polkit rules a user may only change their own lingering',
      cause: e,
    });
  }
  return new PodgenError(`systemd-logind is not reachable over D-Bus: ${err.message ?? err.code ?? text}`, {
    kind: 'unavailable',
    hint: 'lingering needs systemd-logind (package libpam-systemd); without it, user managers start only at login',
    cause: e,
  });
}

export interface Login {
  /** Whether the user lingers (their manager runs from boot). */
  lingering(uid: number): Promise<boolean>;
  setLinger(uid: number, enable: boolean): Promise<void>;
  close(): void;
}

export async function connectLogin(): Promise<Login> {
  const ping = (b: RawBus): Promise<unknown[]> => b.call(DEST, PATH, 'org.freedesktop.DBus.Peer', 'Ping', '', []);
  const raw = await openBus('system', ping, loginError);
  return {
    async lingering(uid) {
      // logind knows users who are logged in or linger; an unknown user does not linger.
      let userPath: string;
      try {
        const [p] = await raw.call(DEST, PATH, MANAGER, 'GetUser', 'u', [uid]);
        userPath = String(p);
      } catch (e) {
        if (/NoSuchUser/.test(String((e as { type?: string }).type ?? e))) return false;
        throw loginError(e);
      }
      let v: unknown;
      try {
        [v] = await raw.call(DEST, userPath, 'org.freedesktop.DBus.Properties', 'Get', 'ss', ['org.freedesktop.login1.User', 'Linger']);
      } catch (e) {
        // The user's last session (or lingering) ended between the two calls: gone, so not lingering.
        if (/UnknownObject|Unknown object/.test(`${String((e as { type?: string }).type ?? '')} ${String((e as Error).message ?? e)}`)) return false;
        throw loginError(e);
      }
      return unwrap(v) === true;
    },
    async setLinger(uid, enable) {
      // interactive=false: podgen runs from scripts; a polkit prompt would hang them.
      await raw.call(DEST, PATH, MANAGER, 'SetUserLinger', 'ubb', [uid, enable, false]).catch((e: unknown) => {
        throw loginError(e);
      });
    },
    close: () => raw.disconnect(),
  };
}
