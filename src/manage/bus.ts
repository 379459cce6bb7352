// A D-Bus connection for raw method calls (dbus-next, I/O edge). No
// introspection: its XML costs more than a hundred status queries.

import * as dbus from 'dbus-next';

export interface RawBus {
  readonly bus: dbus.MessageBus;
  call(destination: string, objectPath: string, iface: string, member: string, signature: string, body: unknown[]): Promise<unknown[]>;
  disconnect(): void;
}

export const str = (v: unknown): string => (typeof v === 'string' ? v : '');
export const unwrap = (v: unknown): unknown => (v instanceof dbus.Variant ? v.value : v);

/**
 * Connect and make a first call (`probe`) that proves the peer is there.
 * Connection failures arrive as 'error' events, not as rejections: the probe
 * races them and a 10 s deadline; `toError` turns whatever failed into ours.
 */
export async function openBus(kind: 'system' | 'session', probe: (b: RawBus) => Promise<unknown>, toError: (e: unknown) => Error): Promise<RawBus> {
  const bus = kind === 'session' ? dbus.sessionBus() : dbus.systemBus();
  let onError: (e: unknown) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    onError = reject;
  });
  bus.on('error', (e: unknown) => onError(e));
  const raw: RawBus = {
    bus,
    async call(destination, objectPath, iface, member, signature, body) {
      const reply = await bus.call(new dbus.Message({ destination, path: objectPath, interface: iface, member, signature, body }));
      return (reply?.body ?? []) as unknown[];
    },
    disconnect: () => bus.disconnect(),
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('no answer within 10 s'), { code: 'ETIMEDOUT' })), 10_000);
    });
    await Promise.race([probe(raw), failed, timeout]);
    return raw;
  } catch (e) {
    bus.disconnect();
    throw toError(e);
  } finally {
    clearTimeout(timer);
    onError = () => undefined;
  }
}
