// A lean, read-only D-Bus connection for status queries (I/O edge): unix
// socket, EXTERNAL auth, pipelined method calls, replies decoded by wire.ts.
// Everything that changes systemd (jobs, enable, signals) goes through
// dbus-next in systemd.ts; this exists because status is what scripts poll and
// dbus-next's decoding made it the slowest part of `podgen ps`.

import * as fs from 'node:fs';
import * as net from 'node:net';
import { trace } from '../trace';
import { encodeCall, messageLength, MessageType, parseMessage, type MethodCall, type WireValue } from './wire';

export interface BusReader {
  call(call: MethodCall): Promise<WireValue[]>;
  close(): void;
}

/** A D-Bus error reply (name as org.freedesktop.DBus.Error.AccessDenied, message its text). */
export class BusCallError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

/** Replies dbus-daemon lets one connection wait for at once is 128 (system bus default); stay below. */
const MAX_PENDING = 100;

/** The socket path of a D-Bus address ("unix:path=..." or "unix:abstract=..."; the first usable of a ;-list). */
export function socketPathOf(address: string): string | undefined {
  for (const entry of address.split(';')) {
    const [transport, params = ''] = entry.split(/:(.*)/s) as [string, string | undefined];
    if (transport !== 'unix') continue;
    const kv = new Map(params.split(',').map((p) => p.split(/=(.*)/s) as [string, string]));
    const unescape = (v: string): string => v.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
    if (kv.get('path')) return unescape(kv.get('path') as string);
    if (kv.get('abstract')) return `\0${unescape(kv.get('abstract') as string)}`;
  }
  return undefined;
}

const uid = (): number => process.getuid?.() ?? 0;

export function busAddress(kind: 'system' | 'session'): string {
  if (kind === 'system') return process.env.DBUS_SYSTEM_BUS_ADDRESS ?? 'unix:path=/var/run/dbus/system_bus_socket';
  return process.env.DBUS_SESSION_BUS_ADDRESS ?? `unix:path=${process.env.XDG_RUNTIME_DIR ?? `/run/user/${uid()}`}/bus`;
}

/** systemd's own socket for root (what systemctl uses): no dbus-daemon in between, half the hops. */
export const SYSTEMD_PRIVATE_SOCKET = '/run/systemd/private';

/**
 * How long the private socket may take to answer before the bus is tried instead. systemd
 * answers it in well under a millisecond, but CI caught it silent for the whole 10 s deadline
 * twice (right after a unit stopped, while the bus answered at once), so it gets a short one.
 */
const PRIVATE_SOCKET_DEADLINE_MS = 1_500;

/**
 * A reader for the system manager (or the user's): as root with no bus address set, systemd's
 * private socket when it takes us, else the bus. Rejects with the socket error (ENOENT,
 * ECONNREFUSED, EACCES) or a BusCallError.
 */
export async function openBusReader(kind: 'system' | 'session', timeoutMs = 10_000): Promise<BusReader> {
  if (kind === 'system' && uid() === 0 && process.env.DBUS_SYSTEM_BUS_ADDRESS === undefined && fs.existsSync(SYSTEMD_PRIVATE_SOCKET)) {
    try {
      const reader = await openSocketReader(SYSTEMD_PRIVATE_SOCKET, false, Math.min(timeoutMs, PRIVATE_SOCKET_DEADLINE_MS), timeoutMs);
      trace(`status reader: ${SYSTEMD_PRIVATE_SOCKET}`);
      return reader;
    } catch (e) {
      // refused (e.g. from another PID namespace), gone or silent: the bus will do
      trace(`status reader: ${SYSTEMD_PRIVATE_SOCKET} failed (${e instanceof Error ? e.message : String(e)}), trying the bus`);
    }
  }
  const address = busAddress(kind);
  const socketPath = socketPathOf(address);
  if (socketPath === undefined) throw Object.assign(new Error(`unsupported D-Bus address "${address}" (podgen needs a unix socket)`), { code: 'ENOENT' });
  trace(`status reader: ${address}`);
  return openSocketReader(socketPath, true, timeoutMs, timeoutMs);
}

/** Connect, authenticate and (on a bus, not a peer) say Hello, within handshakeMs; then each silence while calls wait may last callMs. */
function openSocketReader(socketPath: string, bus: boolean, handshakeMs: number, callMs: number): Promise<BusReader> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection(socketPath);
    let serial = 0;
    const waiting = new Map<number, { resolve: (v: WireValue[]) => void; reject: (e: Error) => void }>();
    const queued: Array<() => void> = [];
    let inbox: Buffer = Buffer.alloc(0);
    let outbox: Buffer[] = [];
    const flush = (): void => {
      if (!failure && outbox.length) socket.write(outbox.length === 1 ? (outbox[0] as Buffer) : Buffer.concat(outbox));
      outbox = [];
    };
    let authenticated = false;
    let failure: Error | undefined;
    // One deadline for the handshake, then one for the oldest silence while calls are pending.
    const silence = (ms: number): NodeJS.Timeout => setTimeout(() => fail(Object.assign(new Error(`no answer from the bus within ${ms / 1000} s`), { code: 'ETIMEDOUT' })), ms);
    let timer: NodeJS.Timeout | undefined = silence(handshakeMs);
    let connected = false;
    // refresh() does not revive a cleared timer, so an idle connection gets a new one.
    const rearm = (): void => {
      if (!connected) return;
      if (waiting.size === 0) {
        clearTimeout(timer);
        timer = undefined;
      } else if (timer) timer.refresh();
      else timer = silence(callMs);
    };

    const fail = (e: Error): void => {
      failure ??= e;
      clearTimeout(timer);
      socket.destroy();
      for (const w of waiting.values()) w.reject(e);
      waiting.clear();
      reject(e);
    };
    const send = (call: MethodCall): Promise<WireValue[]> =>
      new Promise((res, rej) => {
        if (failure) return rej(failure);
        const go = (): void => {
          serial += 1;
          waiting.set(serial, { resolve: res, reject: rej });
          // One write per batch of calls made in the same tick: a write(2) each cost more than the calls.
          if (outbox.push(encodeCall(serial, call)) === 1) setImmediate(flush);
          rearm();
        };
        if (waiting.size < MAX_PENDING) go();
        else queued.push(go);
      });
    const dispatch = (): void => {
      for (;;) {
        const length = messageLength(inbox);
        if (length === undefined || inbox.length < length) return;
        const message = parseMessage(inbox.subarray(0, length));
        inbox = inbox.subarray(length);
        if (message.replySerial === undefined) continue; // signals and calls to us: not ours to answer
        const w = waiting.get(message.replySerial);
        if (!w) continue;
        waiting.delete(message.replySerial);
        if (message.type === MessageType.error) w.reject(new BusCallError(message.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof message.body[0] === 'string' ? message.body[0] : ''));
        else w.resolve(message.body);
        queued.shift()?.();
        rearm();
      }
    };

    socket.on('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EPIPE' || e.code === 'ECONNRESET' ? Object.assign(new Error(`the bus closed the connection (${e.code})`), { code: e.code }) : e),
    );
    socket.on('close', () => fail(Object.assign(new Error('the bus closed the connection'), { code: 'ECONNRESET' })));
    socket.on('connect', () => socket.write(`\0AUTH EXTERNAL ${Buffer.from(String(uid())).toString('hex')}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      inbox = inbox.length ? Buffer.concat([inbox, chunk]) : chunk;
      if (!authenticated) {
        const eol = inbox.indexOf('\r\n');
        if (eol < 0) return;
        const line = inbox.subarray(0, eol).toString('ascii');
        inbox = inbox.subarray(eol + 2);
        if (!line.startsWith('OK ')) return fail(new BusCallError('org.freedesktop.DBus.Error.AuthFailed', `the bus refused authentication as uid ${uid()} (${line})`));
        authenticated = true;
        socket.write('BEGIN\r\n');
        // A bus wants Hello first; a peer (systemd's private socket) may still refuse us after
        // the handshake (it checks credentials then), so a Ping proves it answers.
        const hello = bus
          ? send({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello', signature: '', body: [] })
          : send({ destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.DBus.Peer', member: 'Ping', signature: '', body: [] });
        hello.then(() => {
          connected = true;
          clearTimeout(timer);
          timer = undefined;
          rearm();
          resolve({
            call: send,
            close: () => {
              failure ??= new Error('connection closed');
              clearTimeout(timer);
              socket.removeAllListeners('close');
              socket.destroy();
            },
          });
        }, fail);
      }
      try {
        dispatch();
      } catch (e) {
        fail(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}
